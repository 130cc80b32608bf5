/**
 * What a suite names: one in-distribution set and the shifted sets over the same classes.
 *  - a `*.suite.json` file: `{ "name"?, "inDistribution": FILE | {name, file}, "shifted": [FILE | {name, file}, ...] }`,
 *    paths relative to the suite file (schemas/suite.schema.json);
 *  - a suite folder: one `id.*` file (the in-distribution set) and one or more `shift-*.*` files
 *    (the shifted sets, named by what follows `shift-`), with the readers' extensions.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../util/errors';
import { embeddingFileExtensions, isFolder } from '../readers/folderInput';

export interface SuiteSetSpec {
  name: string;
  file: string;
}

export interface SuiteSpec {
  /** The suite file or folder, as the user named it. */
  source: string;
  name: string;
  inDistribution: SuiteSetSpec;
  shifted: SuiteSetSpec[];
}

export const suiteFileSuffix = '.suite.json';

export const isSuiteFile = (file: string): boolean => file.toLowerCase().endsWith(suiteFileSuffix);

const stem = (file: string): string => path.basename(file, path.extname(file));

const embeddingFile = (name: string): boolean => embeddingFileExtensions.includes(path.extname(name).toLowerCase());

/** Folder entries that make it a suite, or undefined when it is not one. */
async function suiteFolderEntries(folder: string): Promise<{ id: string[]; shifted: string[] } | undefined> {
  const names = (await fs.readdir(folder)).filter(embeddingFile).sort();
  const id = names.filter((n) => stem(n) === 'id');
  const shifted = names.filter((n) => stem(n).startsWith('shift-'));
  return id.length || shifted.length ? { id, shifted } : undefined;
}

/** Whether `input` is a suite: a *.suite.json file, or a folder holding `id.*` or `shift-*.*` files. */
export async function isSuite(input: string): Promise<boolean> {
  if (isSuiteFile(input)) return true;
  return (await isFolder(input)) && (await suiteFolderEntries(input)) !== undefined;
}

async function checkExists(source: string, set: SuiteSetSpec): Promise<void> {
  const stat = await fs.stat(set.file).catch(() => undefined);
  if (!stat) throw new InputError(source, `set '${set.name}' names ${set.file}, which does not exist`);
}

function setSpec(source: string, entry: unknown, where: string): SuiteSetSpec {
  const base = path.dirname(source);
  if (typeof entry === 'string' && entry) return { name: stem(entry), file: path.resolve(base, entry) };
  const o = entry as { name?: unknown; file?: unknown } | null;
  if (
    o &&
    typeof o === 'object' &&
    typeof o.file === 'string' &&
    o.file &&
    (o.name === undefined || typeof o.name === 'string')
  ) {
    return { name: (o.name as string | undefined) || stem(o.file), file: path.resolve(base, o.file) };
  }
  throw new InputError(source, `${where} must be a file name or { "name", "file" }`);
}

async function readSuiteFile(source: string): Promise<SuiteSpec> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(source, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InputError(source, 'no such suite file');
    throw new InputError(source, `is not valid JSON (${(err as Error).message})`);
  }
  const o = parsed as { name?: unknown; inDistribution?: unknown; shifted?: unknown } | null;
  if (!o || typeof o !== 'object' || Array.isArray(o))
    throw new InputError(source, 'a suite is a JSON object with "inDistribution" and "shifted"');
  if (o.inDistribution === undefined) throw new InputError(source, 'names no "inDistribution" set');
  if (!Array.isArray(o.shifted) || o.shifted.length === 0)
    throw new InputError(source, '"shifted" must list at least one shifted set');
  if (o.name !== undefined && typeof o.name !== 'string') throw new InputError(source, '"name" must be a string');
  return {
    source,
    name: (o.name as string | undefined) || path.basename(source).slice(0, -suiteFileSuffix.length),
    inDistribution: setSpec(source, o.inDistribution, '"inDistribution"'),
    shifted: o.shifted.map((entry, k) => setSpec(source, entry, `"shifted"[${k}]`)),
  };
}

async function readSuiteFolder(folder: string): Promise<SuiteSpec> {
  const entries = await suiteFolderEntries(folder);
  if (!entries || entries.id.length !== 1)
    throw new InputError(
      folder,
      `a suite folder needs exactly one id.* file (the in-distribution set), found ${entries?.id.length ? entries.id.join(', ') : 'none'}`,
    );
  if (!entries.shifted.length)
    throw new InputError(folder, 'a suite folder needs at least one shift-*.* file (a shifted set)');
  return {
    source: folder,
    name: path.basename(path.resolve(folder)),
    inDistribution: { name: 'id', file: path.join(folder, entries.id[0]) },
    shifted: entries.shifted.map((n) => ({ name: stem(n).slice('shift-'.length), file: path.join(folder, n) })),
  };
}

/** The suite's sets, every file checked to exist before any is read. */
export async function readSuiteSpec(source: string): Promise<SuiteSpec> {
  const spec = isSuiteFile(source) ? await readSuiteFile(source) : await readSuiteFolder(source);
  for (const set of [spec.inDistribution, ...spec.shifted]) await checkExists(source, set);
  return spec;
}
