/**
 * A folder given where a file is expected: the output of clip-retrieval (img_emb/, text_emb/,
 * metadata/), a folder holding one image file and one text file, or one holding a single
 * embedding file (a Hugging Face save_to_disk folder). Anything else is refused with what it holds.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../util/errors';
import { modalityOf } from './pairing';
import { nameList } from './selectArrays';

/** The extensions the readers open, lower case with the dot. */
export const embeddingFileExtensions = [
  '.npy',
  '.npz',
  '.safetensors',
  '.pt',
  '.pth',
  '.parquet',
  '.arrow',
  '.feather',
];

export interface ClipRetrievalShard {
  index: number;
  image: string;
  text: string;
  /** metadata/metadata_N.parquet, when present: the shard's captions. */
  metadata?: string;
}

export type FolderInput =
  | { kind: 'clip-retrieval'; folder: string; shards: ClipRetrievalShard[] }
  | { kind: 'files'; folder: string; files: string[] };

export async function isFolder(file: string): Promise<boolean> {
  try {
    return (await fsp.stat(file)).isDirectory();
  } catch {
    return false;
  }
}

async function entriesOf(folder: string): Promise<import('node:fs').Dirent[]> {
  try {
    return await fsp.readdir(folder, { withFileTypes: true });
  } catch (err) {
    throw new InputError(folder, `cannot list the folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** Shard number -> file name, for files named `<prefix>_<N><ext>`. */
async function shardFiles(folder: string, prefix: string, ext: string): Promise<Map<number, string>> {
  const pattern = new RegExp(`^${prefix}_(\\d+)${ext.replace('.', '\\.')}$`);
  const out = new Map<number, string>();
  for (const entry of await entriesOf(folder)) {
    const m = pattern.exec(entry.name);
    if (m && (entry.isFile() || entry.isSymbolicLink())) out.set(Number(m[1]), path.join(folder, entry.name));
  }
  return out;
}

async function clipRetrievalShards(folder: string): Promise<ClipRetrievalShard[]> {
  const images = await shardFiles(path.join(folder, 'img_emb'), 'img_emb', '.npy');
  const texts = await shardFiles(path.join(folder, 'text_emb'), 'text_emb', '.npy');
  const metadataFolder = path.join(folder, 'metadata');
  const metadata = (await isFolder(metadataFolder))
    ? await shardFiles(metadataFolder, 'metadata', '.parquet')
    : new Map<number, string>();
  if (images.size === 0) throw new InputError(folder, 'img_emb/ holds no img_emb_N.npy shards');
  if (texts.size === 0) throw new InputError(folder, 'text_emb/ holds no text_emb_N.npy shards');
  const last = Math.max(...images.keys(), ...texts.keys());
  const shards: ClipRetrievalShard[] = [];
  // Numeric order (img_emb_10 after img_emb_9), and every number from 0 on: a gap is a shard lost in copying.
  for (let index = 0; index <= last; index++) {
    const image = images.get(index);
    const text = texts.get(index);
    if (!image && !text)
      throw new InputError(
        folder,
        `shard ${index} is missing from both img_emb/ and text_emb/ (shards run from 0 to ${last})`,
      );
    if (!image)
      throw new InputError(folder, `img_emb/img_emb_${index}.npy is missing (text_emb/text_emb_${index}.npy is there)`);
    if (!text)
      throw new InputError(folder, `text_emb/text_emb_${index}.npy is missing (img_emb/img_emb_${index}.npy is there)`);
    shards.push({ index, image, text, metadata: metadata.get(index) });
  }
  return shards;
}

/** undefined when `file` is not a folder; otherwise what it holds, or an InputError saying why it cannot be read. */
export async function inspectFolder(file: string): Promise<FolderInput | undefined> {
  if (!(await isFolder(file))) return undefined;
  const entries = await entriesOf(file);
  const folders = new Set(entries.filter((e) => e.isDirectory()).map((e) => e.name));
  if (folders.has('img_emb') || folders.has('text_emb')) {
    if (!folders.has('text_emb'))
      throw new InputError(file, 'has img_emb/ but no text_emb/: a clip-retrieval folder needs both sides');
    if (!folders.has('img_emb'))
      throw new InputError(file, 'has text_emb/ but no img_emb/: a clip-retrieval folder needs both sides');
    return { kind: 'clip-retrieval', folder: file, shards: await clipRetrievalShards(file) };
  }
  const files = entries
    .filter(
      (e) => (e.isFile() || e.isSymbolicLink()) && embeddingFileExtensions.includes(path.extname(e.name).toLowerCase()),
    )
    .map((e) => e.name)
    .sort();
  const images = files.filter((name) => modalityOf(name) === 'image');
  const texts = files.filter((name) => modalityOf(name) === 'text');
  if (images.length === 1 && texts.length === 1 && files.length === 2)
    return { kind: 'files', folder: file, files: [images[0], texts[0]].map((n) => path.join(file, n)) };
  if (files.length === 1) return { kind: 'files', folder: file, files: [path.join(file, files[0])] };
  const found = files.length ? `it holds ${nameList(files)}` : 'it holds no embedding files';
  throw new InputError(
    file,
    `is a folder Embedding Lens cannot read as one checkpoint: ${found} (a folder is read when it has img_emb/ and text_emb/ as clip-retrieval writes them, exactly one *image* and one *text* file, or a single embedding file)`,
  );
}
