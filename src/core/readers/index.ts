/**
 * Reading checkpoints: one .npy/.npz/.safetensors file holding both modalities, one holding a single
 * modality whose partner sits beside it, or two one-modality files.
 */
import * as path from 'node:path';
import type { CancelToken, ProgressFn } from '../util/cancel';
import type { Checkpoint } from './checkpoint';
import { InputError } from '../util/errors';
import { shapeText } from './dtypes';
import { withFile, type OpenFile, type ReadContext } from './fileAccess';
import { openNpy } from './npyFile';
import { openNpz } from './npz';
import { openArrowIpc } from './arrowIpc';
import { describeClipRetrieval, readClipRetrieval } from './clipRetrieval';
import { inspectFolder } from './folderInput';
import { openParquet } from './parquet';
import { openPytorchArchive } from './pytorchArchive';
import { findPairFile, modalityOf } from './pairing';
import { captionsFromMetadata, openSafetensors } from './safetensors';
import { selectArrays, type KeyOptions } from './selectArrays';
import type { ArraySource, FileContents, NamedArrays, OpenedArrays } from './types';
import { buildCheckpoint, splitStacked, type Located } from './validate';

export { findPairFile } from './pairing';
export { defaultImageKeys, defaultIndexKeys, defaultTextKeys } from './selectArrays';
export type { ArrayInfo, FileContents, NamedArray, NamedArrays } from './types';

export interface ArrayReadOptions {
  /** The most bytes one .npz member may inflate to (default 512 MiB); more is refused as a zip bomb. */
  memoryBudgetBytes?: number;
  token?: CancelToken;
  onProgress?: ProgressFn;
}

export interface ReadOptions extends ArrayReadOptions, KeyOptions {}

export const defaultMemoryBudgetBytes = 512 * 1024 * 1024;

const openers: Record<string, (f: OpenFile, opts: ArrayReadOptions) => Promise<OpenedArrays>> = {
  '.npy': (f) => openNpy(f),
  '.npz': (f, opts) => openNpz(f, opts.memoryBudgetBytes ?? defaultMemoryBudgetBytes, opts.token),
  '.safetensors': (f) => openSafetensors(f),
  '.pt': (f, opts) => openPytorchArchive(f, opts.memoryBudgetBytes ?? defaultMemoryBudgetBytes, opts.token),
  '.pth': (f, opts) => openPytorchArchive(f, opts.memoryBudgetBytes ?? defaultMemoryBudgetBytes, opts.token),
  '.parquet': (f, opts) => openParquet(f, opts.memoryBudgetBytes ?? defaultMemoryBudgetBytes, { token: opts.token }),
  '.arrow': (f, opts) => openArrowIpc(f, { token: opts.token }),
  '.feather': (f, opts) => openArrowIpc(f, { token: opts.token }),
};

/** Opens `file` by its extension and runs `use` while it is open (loads must happen inside). */
export async function withArrays<T>(
  file: string,
  opts: ArrayReadOptions,
  ctx: ReadContext,
  use: (opened: OpenedArrays, f: OpenFile) => Promise<T>,
): Promise<T> {
  const ext = path.extname(file).toLowerCase();
  const open = openers[ext];
  if (!open)
    throw new InputError(
      file,
      `unknown file type '${ext || '(none)'}': Embedding Lens reads .npy, .npz, .safetensors, .pt/.pth, .parquet, .arrow/.feather and folders`,
    );
  return withFile(file, ctx, async (f) => use(await open(f, opts), f));
}

/** Names, shapes and dtypes from the headers alone (and safetensors metadata): cheap on large files. */
export async function describeFile(file: string, opts: ArrayReadOptions = {}): Promise<FileContents> {
  const folder = await inspectFolder(file);
  if (folder?.kind === 'clip-retrieval') return describeClipRetrieval(folder, opts);
  if (folder) {
    // A folder of files: their arrays together, as the CLI's key check and the checkpoints tree see them.
    const parts = await Promise.all(folder.files.map((part) => describeFile(part, opts)));
    return {
      format: 'folder',
      sizeBytes: parts.reduce((sum, p) => sum + p.sizeBytes, 0),
      arrays: parts.flatMap((p) => p.arrays),
    };
  }
  return withArrays(file, opts, opts, async (opened, f) => ({
    format: opened.format,
    sizeBytes: f.size,
    arrays: opened.arrays.map((a) => a.info),
    metadata: opened.metadata,
  }));
}

/** Every array of the file, decoded (floats as float32, integers as int32). */
export async function readArrays(file: string, opts: ArrayReadOptions = {}): Promise<NamedArrays> {
  return (await readArraysAndMetadata(file, opts)).arrays;
}

/** readArrays(), and the file's safetensors metadata. */
export async function readArraysAndMetadata(
  file: string,
  opts: ArrayReadOptions = {},
): Promise<{ arrays: NamedArrays; metadata?: Record<string, string> }> {
  return withArrays(file, opts, opts, async (opened) => {
    const arrays: NamedArrays = new Map();
    for (const a of opened.arrays) arrays.set(a.info.name, await a.load());
    return { arrays, metadata: opened.metadata };
  });
}

interface Loaded {
  file: string;
  pair?: { image: Located; text: Located };
  single?: Located;
  index?: Located;
  metadata?: Record<string, string>;
  /** The texts' labels: a safetensors `captions` metadata entry, or a string array. */
  captions?: string[];
  notes: string[];
}

const labels: Record<FileContents['format'], (name: string) => string> = {
  npy: () => 'the array',
  npz: (name) => `member '${name}.npy'`,
  safetensors: (name) => `tensor '${name}'`,
  pt: (name) => `tensor '${name}'`,
  parquet: (name) => `column '${name}'`,
  arrow: (name) => `column '${name}'`,
  'clip-retrieval': (name) => `${name}/`,
  folder: (name) => `array '${name}'`,
};

async function loadSelection(file: string, opts: ReadOptions, ctx: ReadContext): Promise<Loaded> {
  return withArrays(file, opts, ctx, async (opened) => {
    const load = async (a: ArraySource | undefined): Promise<Located | undefined> =>
      a && { file, label: labels[opened.format](a.info.name), array: await a.load() };
    const selection = selectArrays(file, opened, opts);
    const index = await load(selection.index);
    const metadata = opened.metadata;
    const captions = captionsFromMetadata(file, metadata) ?? (await selection.captions?.loadStrings?.());
    const notes = opened.notes ?? [];
    if (selection.kind === 'single')
      return { file, single: await load(selection.array), index, metadata, captions, notes };
    return {
      file,
      pair: { image: (await load(selection.image))!, text: (await load(selection.text))! },
      index,
      metadata,
      captions,
      notes,
    };
  });
}

/** Progress of file k of n, as a fraction of the whole read. */
function fileContext(opts: ReadOptions, k: number, n: number): ReadContext {
  const { onProgress } = opts;
  return {
    token: opts.token,
    onProgress: onProgress && ((fraction, message) => onProgress((k + fraction) / n, message)),
  };
}

function oneModality(loaded: Loaded): Located {
  const single = loaded.single;
  if (!single || single.array.shape.length !== 2) {
    const shape = single ? ` (shape ${shapeText(single.array.shape)})` : '';
    throw new InputError(
      loaded.file,
      `holds more than one modality${shape}; give it alone, or give two files that hold one (N, D) array each`,
    );
  }
  return single;
}

/** Image first: by the names (image/img, text/txt), else in the order given. */
function imageFirst(a: Loaded, b: Loaded): [Loaded, Loaded] {
  const ma = modalityOf(a.file);
  const mb = modalityOf(b.file);
  return (ma === 'text' && mb !== 'text') || (mb === 'image' && ma !== 'image') ? [b, a] : [a, b];
}

export async function readCheckpoint(files: string[], opts: ReadOptions = {}): Promise<Checkpoint> {
  const folder = files.length === 1 ? await inspectFolder(files[0]) : undefined;
  if (folder?.kind === 'clip-retrieval') return readClipRetrieval(folder, opts);
  const checkpoint = await readFiles(folder?.files ?? files, opts);
  return folder ? { ...checkpoint, files } : checkpoint;
}

/** The readers' notes (a table's null rows) go first: the rows they speak of are among those the checks then skip. */
function withNotes(checkpoint: Checkpoint, ...loaded: (Loaded | undefined)[]): Checkpoint {
  const notes = loaded.flatMap((l) => l?.notes ?? []);
  return notes.length ? { ...checkpoint, warnings: [...notes, ...checkpoint.warnings] } : checkpoint;
}

async function readFiles(files: string[], opts: ReadOptions): Promise<Checkpoint> {
  if (files.length === 0 || files.length > 2) {
    throw new InputError(
      files.join(', ') || '(no file)',
      'give one file holding both modalities, or two files (image, text)',
    );
  }
  const first = await loadSelection(files[0], opts, fileContext(opts, 0, files.length));
  let second: Loaded | undefined;
  if (files.length === 2) second = await loadSelection(files[1], opts, fileContext(opts, 1, 2));
  else if (first.single?.array.shape.length === 2) {
    const partner = findPairFile(files[0]);
    if (partner) second = await loadSelection(partner, opts, fileContext(opts, 1, 2));
  }

  if (!second) {
    const { image, text } = first.pair ?? splitStacked(first.single!);
    return withNotes(
      buildCheckpoint({ files, image, text, index: first.index, metadata: first.metadata, captions: first.captions }),
      first,
    );
  }
  const [imagePart, textPart] = imageFirst(first, second);
  return withNotes(
    buildCheckpoint({
      files: [first.file, second.file],
      image: oneModality(imagePart),
      text: oneModality(textPart),
      index: textPart.index ?? imagePart.index,
      metadata: textPart.metadata ?? imagePart.metadata,
      captions: textPart.captions,
    }),
    first,
    second,
  );
}
