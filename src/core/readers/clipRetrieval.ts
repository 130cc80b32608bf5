/**
 * The output folder of clip-retrieval (`clip-retrieval inference`): img_emb/img_emb_N.npy and
 * text_emb/text_emb_N.npy, float16 shards that pair row by row, and metadata/metadata_N.parquet
 * with a `caption` column. Read as one checkpoint: every shard header is checked first, then each
 * shard's rows are read straight into their place in one array per side, so the set is held once.
 */
import * as path from 'node:path';
import type { Checkpoint } from './checkpoint';
import { InputError } from '../util/errors';
import { elementCount, isFloatType, isRawFloat32, readFloatChunks, readRawFloat32, shapeText } from './dtypes';
import { withFile, type ReadContext } from './fileAccess';
import type { ClipRetrievalShard, FolderInput } from './folderInput';
import { decodeNpyData, npyDataBytes, npyHeaderEnd, npyPreambleBytes, parseNpyHeader, type NpyHeader } from './npy';
import { openParquet } from './parquet';
import type { FileContents } from './types';
import { buildCheckpoint } from './validate';

type ClipRetrievalFolder = Extract<FolderInput, { kind: 'clip-retrieval' }>;

/** What reading the folder uses of index.ts's ReadOptions (declared here: index.ts imports this module). */
type ClipRetrievalReadOptions = ReadContext & { memoryBudgetBytes?: number };

interface ShardHeaders {
  shard: ClipRetrievalShard;
  image: NpyHeader;
  text: NpyHeader;
}

/** A shard's name as the user sees it in the folder: img_emb/img_emb_3.npy. */
const shardName = (folder: string, file: string): string => path.relative(folder, file);

async function npyHeaderOf(file: string, ctx: ReadContext): Promise<NpyHeader> {
  return withFile(file, ctx, async (f) => {
    const preamble = await f.read(0, Math.min(npyPreambleBytes, f.size), 'the .npy preamble');
    const header = parseNpyHeader(await f.read(0, npyHeaderEnd(preamble, f.file), 'the .npy header'), f.file);
    if (npyDataBytes(header) > f.size - header.dataOffset) {
      throw new InputError(
        file,
        `truncated: header says ${shapeText(header.shape)} ${header.type.name} = ${npyDataBytes(header)} bytes, file has ${f.size - header.dataOffset} after the header`,
      );
    }
    return header;
  });
}

/** Every shard's headers, checked against each other: 2-D floats, one dimension, equal rows on both sides. */
async function checkedShards(input: ClipRetrievalFolder, ctx: ReadContext): Promise<ShardHeaders[]> {
  const out: ShardHeaders[] = [];
  let dim: { value: number; from: string } | undefined;
  for (const shard of input.shards) {
    const headers = { shard, image: await npyHeaderOf(shard.image, ctx), text: await npyHeaderOf(shard.text, ctx) };
    for (const [file, header] of [
      [shard.image, headers.image],
      [shard.text, headers.text],
    ] as const) {
      const name = shardName(input.folder, file);
      if (header.shape.length !== 2)
        throw new InputError(input.folder, `${name} has shape ${shapeText(header.shape)}, not (N, D)`);
      if (!isFloatType(header.type.name))
        throw new InputError(input.folder, `${name} has dtype ${header.type.name}; embeddings must be floats`);
      dim ??= { value: header.shape[1], from: name };
      if (header.shape[1] !== dim.value) {
        throw new InputError(
          input.folder,
          `mixed dimensions: ${name} has ${header.shape[1]}, ${dim.from} has ${dim.value}`,
        );
      }
    }
    if (headers.image.shape[0] !== headers.text.shape[0]) {
      throw new InputError(
        input.folder,
        `shard ${shard.index} does not pair up: ${shardName(input.folder, shard.image)} has ${headers.image.shape[0]} rows, ${shardName(input.folder, shard.text)} has ${headers.text.shape[0]}`,
      );
    }
    out.push(headers);
  }
  return out;
}

/** The widest dtype of the shards: what the folder is said to hold. */
const dtypeOf = (headers: NpyHeader[]): string =>
  headers.every((h) => h.type.name === headers[0].type.name) ? headers[0].type.name : 'float32';

export async function describeClipRetrieval(input: ClipRetrievalFolder, ctx: ReadContext): Promise<FileContents> {
  const shards = await checkedShards(input, ctx);
  const rows = shards.reduce((sum, s) => sum + s.image.shape[0], 0);
  const dim = shards[0].image.shape[1];
  return {
    format: 'clip-retrieval',
    sizeBytes: shards.reduce((sum, s) => sum + npyDataBytes(s.image) + npyDataBytes(s.text), 0),
    arrays: [
      { name: 'img_emb', shape: [rows, dim], dtype: dtypeOf(shards.map((s) => s.image)) },
      { name: 'text_emb', shape: [rows, dim], dtype: dtypeOf(shards.map((s) => s.text)) },
    ],
  };
}

/** One shard's rows, read into `target` (its place in the side's array). */
async function readShardInto(file: string, header: NpyHeader, target: Float32Array, ctx: ReadContext): Promise<void> {
  await withFile(file, ctx, async (f) => {
    const count = elementCount(header.shape);
    const read = (o: number, t: Uint8Array, w: string) => f.readInto(o, t, w);
    if (header.fortranOrder)
      target.set(
        decodeNpyData(
          header,
          await f.read(header.dataOffset, npyDataBytes(header), 'the array data'),
          f.file,
        ) as Float32Array,
      );
    else if (isRawFloat32(header.type)) await readRawFloat32(read, header.dataOffset, count, 'the array data', target);
    else await readFloatChunks(read, header.dataOffset, count, header.type, f.file, 'the array data', target);
  });
}

/** Captions from every shard's metadata parquet, or none (with why) when any shard lacks them. */
async function shardCaptions(
  input: ClipRetrievalFolder,
  shards: ShardHeaders[],
  opts: ClipRetrievalReadOptions,
): Promise<{ captions?: string[]; note?: string }> {
  const present = shards.filter((s) => s.shard.metadata);
  if (present.length === 0) return {};
  if (present.length < shards.length) {
    const missing = shards.find((s) => !s.shard.metadata)!.shard.index;
    return { note: `captions not read: metadata/metadata_${missing}.parquet is missing` };
  }
  const captions: string[] = [];
  for (const { shard, image } of shards) {
    const file = shard.metadata!;
    const texts = await withFile(file, opts, async (f) => {
      const opened = await openParquet(f, opts.memoryBudgetBytes ?? 512 * 1024 * 1024, { token: opts.token });
      const column = opened.arrays.find((a) => a.info.name === 'caption' && a.loadStrings);
      return column?.loadStrings?.();
    });
    if (!texts) return { note: `captions not read: ${shardName(input.folder, file)} has no 'caption' string column` };
    if (texts.length !== image.shape[0]) {
      throw new InputError(
        input.folder,
        `${shardName(input.folder, file)} has ${texts.length} captions for the ${image.shape[0]} rows of shard ${shard.index}`,
      );
    }
    for (const text of texts) captions.push(text);
  }
  return { captions };
}

export async function readClipRetrieval(
  input: ClipRetrievalFolder,
  opts: ClipRetrievalReadOptions,
): Promise<Checkpoint> {
  const shards = await checkedShards(input, opts);
  const rows = shards.reduce((sum, s) => sum + s.image.shape[0], 0);
  const dim = shards[0].image.shape[1];
  const image = new Float32Array(rows * dim);
  const text = new Float32Array(rows * dim);
  let row = 0;
  for (const [k, s] of shards.entries()) {
    const ctx: ReadContext = {
      token: opts.token,
      onProgress: opts.onProgress && ((f, m) => opts.onProgress!((k + f) / shards.length, m)),
    };
    const span = [row * dim, (row + s.image.shape[0]) * dim] as const;
    await readShardInto(s.shard.image, s.image, image.subarray(...span), ctx);
    await readShardInto(s.shard.text, s.text, text.subarray(...span), ctx);
    row += s.image.shape[0];
  }
  const { captions, note } = await shardCaptions(input, shards, opts);
  const located = (name: string, data: Float32Array, dtype: string) => ({
    file: input.folder,
    label: `${name}/ (${shards.length} shards)`,
    array: { shape: [rows, dim], dtype, data },
  });
  const checkpoint = buildCheckpoint({
    files: [input.folder],
    image: located('img_emb', image, dtypeOf(shards.map((s) => s.image))),
    text: located('text_emb', text, dtypeOf(shards.map((s) => s.text))),
    captions,
  });
  return note ? { ...checkpoint, warnings: [note, ...checkpoint.warnings] } : checkpoint;
}
