/**
 * Arrow IPC files and streams (.arrow: a Hugging Face save_to_disk shard; .feather: Feather v2)
 * through apache-arrow, the Arrow project's own pure-JS implementation. It reads the file by
 * offsets through the open handle, one record batch at a time. Bodies compressed with zstd are
 * inflated with fzstd (the decoder hyparquet-compressors already brings); LZ4 ones are refused.
 */
import type { FileHandle } from 'node:fs/promises';
import {
  compressionRegistry,
  DataType,
  Precision,
  RecordBatchReader,
  type Field,
  type RecordBatch,
} from 'apache-arrow';
import { decompressZstd } from 'hyparquet-compressors';
import { throwIfCancelled } from '../util/cancel';
import { CancelledError, InputError } from '../util/errors';
import { listValues, tableArrays, type TableColumn, type TableReadContext } from './columnarArrays';
import type { OpenFile } from './fileAccess';
import { defaultIndexKeys } from './selectArrays';
import type { OpenedArrays } from './types';

/** apache-arrow's CompressionType.ZSTD; the enum itself is not exported from the package root. */
const zstdCompression = 1;
compressionRegistry.set(zstdCompression, { decode: (data: Uint8Array) => decompressZstd(data) });

/** What apache-arrow needs of a FileHandle (stat, read at a position), served by the checked OpenFile. */
function fileHandleOf(f: OpenFile): unknown {
  return {
    fd: -1,
    stat: async () => ({ size: f.size }),
    read: async (buffer: Uint8Array, offset: number, length: number, position: number) => {
      const take = Math.max(0, Math.min(length, f.size - position));
      await f.readInto(position, buffer.subarray(offset, offset + take), 'Arrow data');
      return { bytesRead: take, buffer };
    },
    close: async () => undefined,
  };
}

async function arrowCall<T>(file: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof InputError || err instanceof CancelledError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (/LZ4/i.test(message))
      throw new InputError(
        file,
        'is an Arrow file with LZ4-compressed buffers, which Embedding Lens does not read; write it with compression="zstd" or "uncompressed"',
      );
    throw new InputError(file, `cannot be read as Arrow IPC: ${message}`);
  }
}

function floatName(type: DataType): string | undefined {
  if (DataType.isFloat(type))
    return type.precision === Precision.HALF ? 'float16' : type.precision === Precision.SINGLE ? 'float32' : 'float64';
  if (DataType.isInt(type)) return `${type.isSigned ? 'int' : 'uint'}${type.bitWidth}`;
  return undefined;
}

function describeField(field: Field): Omit<TableColumn, 'rows' | 'width' | 'batches'> | undefined {
  const { name, type } = field;
  if (DataType.isList(type) || DataType.isFixedSizeList(type)) {
    const element = type.children[0].type;
    const dtype = floatName(element);
    return dtype
      ? { name, kind: 'vector', dtype }
      : { name, kind: 'other', dtype: `lists of ${String(element).toLowerCase()}` };
  }
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return { name, kind: 'string', dtype: 'str' };
  const dtype = floatName(type);
  if (dtype?.startsWith('int') && defaultIndexKeys.some((k) => k.toLowerCase() === name.toLowerCase()))
    return { name, kind: 'integer', dtype };
  return undefined;
}

export async function openArrowIpc(f: OpenFile, ctx: Omit<TableReadContext, 'file' | 'notes'>): Promise<OpenedArrays> {
  const open = () =>
    arrowCall(f.file, async () => (await RecordBatchReader.from(fileHandleOf(f) as FileHandle)).open());
  async function* eachBatch(): AsyncIterable<RecordBatch> {
    const reader = await open();
    const it = (reader as AsyncIterable<RecordBatch>)[Symbol.asyncIterator]();
    for (;;) {
      throwIfCancelled(ctx.token);
      const next = await arrowCall(f.file, () => it.next());
      if (next.done) return;
      yield next.value;
    }
  }
  const reader = await open();
  const described = reader.schema.fields.map(describeField).filter((d): d is NonNullable<typeof d> => d !== undefined);
  // Rows and widths are counted from the batches' lengths: the footer does not hold them.
  let rows = 0;
  const widths = new Map<string, number>();
  for await (const batch of eachBatch()) {
    for (const column of described) {
      if (widths.has(column.name) || (column.kind !== 'vector' && column.kind !== 'other')) continue;
      const vector = batch.getChild(column.name);
      for (let k = 0; vector && k < vector.length; k++) {
        const values = listValues(vector.get(k));
        if (values) {
          widths.set(column.name, values.length);
          break;
        }
      }
    }
    rows += batch.numRows;
  }
  async function* batches(name: string): AsyncIterable<ArrayLike<unknown>> {
    for await (const batch of eachBatch()) {
      const vector = batch.getChild(name);
      if (!vector) throw new InputError(f.file, `a record batch lacks column '${name}'`);
      yield Array.from({ length: vector.length }, (_, k) => vector.get(k));
    }
  }
  const columns: TableColumn[] = described.map((d) => ({
    ...d,
    rows,
    width: widths.get(d.name) ?? 0,
    batches: () => batches(d.name),
  }));
  return tableArrays('arrow', columns, { ...ctx, file: f.file, notes: [] });
}
