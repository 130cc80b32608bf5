/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header (name -> dtype,
 * shape, data_offsets, plus an optional string->string `__metadata__`), then the tensor bytes.
 */
import { InputError } from '../util/errors';
import {
  decodeElements,
  elementCount,
  isFloatType,
  isRawFloat32,
  readFloatChunks,
  readRawFloat32,
  safetensorsElementType,
  shapeText,
} from './dtypes';
import type { OpenFile } from './fileAccess';
import type { ArraySource, OpenedArrays } from './types';

/** A header larger than this is not a header; reading it would only spend memory. */
export const maxHeaderBytes = 100 * 1024 * 1024;

interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

export async function openSafetensors(f: OpenFile): Promise<OpenedArrays> {
  if (f.size < 8) throw new InputError(f.file, `too short to be a safetensors file (${f.size} bytes)`);
  const headerLength = (await f.read(0, 8, 'the header length')).readBigUInt64LE(0);
  if (headerLength > BigInt(Math.min(maxHeaderBytes, f.size - 8))) {
    throw new InputError(
      f.file,
      `absurd safetensors header length ${headerLength} bytes (the file has ${f.size}); not a safetensors file, or a damaged one`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  const dataLength = f.size - dataStart;
  let header: unknown;
  try {
    header = JSON.parse((await f.read(8, Number(headerLength), 'the JSON header')).toString('utf8'));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(f.file, `safetensors header is not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(header)) throw new InputError(f.file, 'safetensors header is not a JSON object');

  let metadata: Record<string, string> | undefined;
  const tensors: TensorEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
        throw new InputError(f.file, '__metadata__ is not a map of strings to strings');
      }
      metadata = Object.fromEntries(Object.entries(value as Record<string, string>));
      continue;
    }
    tensors.push(tensorEntry(f.file, name, value, dataLength));
  }
  checkNoOverlap(f.file, tensors);

  const arrays: ArraySource[] = tensors.map((t) => {
    const type = safetensorsElementType(t.dtype);
    const info = { name: t.name, shape: t.shape, dtype: type?.name ?? t.dtype };
    return {
      info,
      async load() {
        if (!type)
          throw new InputError(f.file, `tensor '${t.name}' has dtype ${t.dtype}, which Embedding Lens cannot read`);
        const count = elementCount(t.shape);
        if (isFloatType(type.name) && t.end - t.begin === count * type.size) {
          const read = (o: number, b: Uint8Array, w: string) => f.readInto(o, b, w);
          const what = `tensor '${t.name}'`;
          const data = isRawFloat32(type)
            ? await readRawFloat32(read, dataStart + t.begin, count, what)
            : await readFloatChunks(read, dataStart + t.begin, count, type, f.file, what);
          return { ...info, data };
        }
        const bytes = await f.read(dataStart + t.begin, t.end - t.begin, `tensor '${t.name}'`);
        return { ...info, data: decodeElements(bytes, type, elementCount(t.shape), f.file, `tensor '${t.name}'`) };
      },
    };
  });
  return { format: 'safetensors', arrays, metadata };
}

function tensorEntry(file: string, name: string, value: unknown, dataLength: number): TensorEntry {
  const bad = (problem: string): InputError => new InputError(file, `tensor '${name}' ${problem}`);
  if (!isRecord(value)) throw bad('has no dtype/shape/data_offsets entry');
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') throw bad('has no dtype');
  if (!Array.isArray(shape) || !shape.every(isCount))
    throw bad('has a shape that is not a list of non-negative integers');
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw bad('has data_offsets that are not [begin, end] with begin <= end');
  }
  const [begin, end] = offsets as number[];
  if (end > dataLength) {
    throw bad(
      `has data_offsets [${begin}, ${end}] running past the end of the file (the data section has ${dataLength} bytes)`,
    );
  }
  const type = safetensorsElementType(dtype);
  if (type && end - begin !== elementCount(shape) * type.size) {
    throw bad(
      `has shape ${shapeText(shape)} ${dtype} = ${elementCount(shape) * type.size} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

function checkNoOverlap(file: string, tensors: TensorEntry[]): void {
  const sorted = [...tensors].filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) {
      throw new InputError(file, `tensors '${sorted[i - 1].name}' and '${sorted[i].name}' overlap in the data section`);
    }
  }
}

/** `captions` in the metadata, when present, is a JSON array of one string per text. */
export function captionsFromMetadata(file: string, metadata: Record<string, string> | undefined): string[] | undefined {
  const raw = metadata?.captions;
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((c) => typeof c === 'string')) {
    throw new InputError(file, "__metadata__ 'captions' is not a JSON array of strings");
  }
  return parsed;
}
