/**
 * Parquet files (Hugging Face datasets, Embedding Atlas exports, clip-retrieval metadata) through
 * hyparquet, a dependency-free pure-JS reader, with hyparquet-compressors for snappy, gzip, zstd,
 * brotli and lz4 pages: no native binary, so one .vsix serves every platform. Row groups are read
 * one at a time, each checked against the memory budget before it is decompressed.
 */
import {
  parquetMetadataAsync,
  parquetRead,
  parquetSchema,
  type AsyncBuffer,
  type FileMetaData,
  type SchemaTree,
} from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { CancelledError, InputError } from '../util/errors';
import { throwIfCancelled } from '../util/cancel';
import { tableArrays, type TableColumn, type TableReadContext } from './columnarArrays';
import type { OpenFile } from './fileAccess';
import { defaultIndexKeys } from './selectArrays';
import type { OpenedArrays } from './types';

/** Errors of the parser itself are about the file: one line naming it, not an internal error. */
async function parquetCall<T>(file: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof InputError || err instanceof CancelledError) throw err;
    throw new InputError(file, `cannot be read as Parquet: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function asyncBufferOf(f: OpenFile): AsyncBuffer {
  return {
    byteLength: f.size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const bytes = await f.read(start, (end ?? f.size) - start, 'Parquet data');
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    },
  };
}

const elementTypes: Record<string, string> = { FLOAT: 'float32', DOUBLE: 'float64', INT32: 'int32', INT64: 'int64' };

/** The leaf of a (possibly nested) list column: 3-level (list/element), or 2-level legacy lists. */
function leafOf(node: SchemaTree): SchemaTree {
  let leaf = node;
  while (leaf.children.length === 1) leaf = leaf.children[0];
  return leaf;
}

function elementDtype(leaf: SchemaTree): string | undefined {
  const e = leaf.element;
  if (e.logical_type?.type === 'FLOAT16') return 'float16';
  return e.type ? elementTypes[e.type] : undefined;
}

function describeColumn(node: SchemaTree): Omit<TableColumn, 'rows' | 'width' | 'batches'> | undefined {
  const e = node.element;
  const isList =
    e.logical_type?.type === 'LIST' ||
    e.converted_type === 'LIST' ||
    (e.repetition_type === 'REPEATED' && node.children.length === 0);
  if (isList) {
    const leaf = leafOf(node);
    if (leaf.children.length > 0) return { name: e.name, kind: 'other', dtype: 'lists of records' };
    const dtype = elementDtype(leaf);
    if (dtype) return { name: e.name, kind: 'vector', dtype };
    const what =
      leaf.element.logical_type?.type === 'STRING' || leaf.element.converted_type === 'UTF8'
        ? 'strings'
        : (leaf.element.type ?? 'values').toLowerCase();
    return { name: e.name, kind: 'other', dtype: `lists of ${what}` };
  }
  if (node.children.length > 0) return undefined;
  if (e.logical_type?.type === 'STRING' || e.converted_type === 'UTF8')
    return { name: e.name, kind: 'string', dtype: 'str' };
  const dtype = elementDtype(node);
  // An integer column is data (ids, labels) unless it is named like the text-to-image index: only then is it read.
  if (dtype?.startsWith('int') && defaultIndexKeys.some((k) => k.toLowerCase() === e.name.toLowerCase()))
    return { name: e.name, kind: 'integer', dtype };
  return undefined;
}

function rowGroupRanges(metadata: FileMetaData): { start: number; end: number; group: number }[] {
  let start = 0;
  return metadata.row_groups.map((g, group) => {
    const rows = Number(g.num_rows);
    start += rows;
    return { start: start - rows, end: start, group };
  });
}

export async function openParquet(
  f: OpenFile,
  memoryBudgetBytes: number,
  ctx: Omit<TableReadContext, 'file' | 'notes'>,
): Promise<OpenedArrays> {
  const file = asyncBufferOf(f);
  const metadata = await parquetCall(f.file, () => parquetMetadataAsync(file));
  const rows = Number(metadata.num_rows);
  const ranges = rowGroupRanges(metadata);
  const readRows = (name: string, rowStart: number, rowEnd: number): Promise<unknown[]> =>
    parquetCall(f.file, async () => {
      let rows: unknown[][] = [];
      await parquetRead({
        file,
        metadata,
        columns: [name],
        rowStart,
        rowEnd,
        compressors,
        onComplete: (read) => (rows = read),
      });
      return rows.map((row) => row[0]);
    });

  async function* batches(name: string): AsyncIterable<ArrayLike<unknown>> {
    for (const { start, end, group } of ranges) {
      throwIfCancelled(ctx.token);
      // The page sizes in the file say how much a row group inflates to: a lying or huge one is refused before inflating.
      const chunk = metadata.row_groups[group].columns.filter((c) => c.meta_data?.path_in_schema[0] === name);
      const inflated = chunk.reduce((sum, c) => sum + Number(c.meta_data?.total_uncompressed_size ?? 0), 0);
      if (inflated > memoryBudgetBytes) {
        throw new InputError(
          f.file,
          `row group ${group} of column '${name}' inflates to ${inflated} bytes, over the memory budget of ${memoryBudgetBytes}; write the file with smaller row groups`,
        );
      }
      if (end > start) yield await readRows(name, start, end);
    }
  }

  const columns: TableColumn[] = [];
  for (const node of parquetSchema(metadata).children) {
    const described = describeColumn(node);
    if (!described) continue;
    let width = 0;
    if (described.kind === 'vector' || described.kind === 'other') {
      // The width is the first non-null row's length: read from the first row group that has one.
      const first = rows > 0 ? await readRows(described.name, 0, Math.min(rows, 64)) : [];
      const sample = first.find((v) => v !== null && v !== undefined) as ArrayLike<unknown> | undefined;
      width = sample?.length ?? 0;
    }
    columns.push({ ...described, rows, width, batches: () => batches(described.name) });
  }
  return tableArrays('parquet', columns, { ...ctx, file: f.file, notes: [] });
}
