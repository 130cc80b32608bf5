/**
 * Tables (Parquet, Arrow) as arrays: a column of equal-length number lists is an (N, D) array, a
 * string column can caption the texts, an integer column named like an index is the
 * text-to-image index. Columns are read a batch (row group, record batch) at a time into one
 * float32 array, with the checks a table needs and an array does not: ragged lists, nulls.
 */
import { throwIfCancelled, type CancelToken, type ProgressFn } from '../util/cancel';
import { InputError } from '../util/errors';
import type { ArraySource, FileContents, NamedArray, OpenedArrays } from './types';

export interface TableColumn {
  name: string;
  /** vector: a list of numbers per row; integer: one integer per row; string: one string per row; other: a list of something else. */
  kind: 'vector' | 'integer' | 'string' | 'other';
  /** numpy's name for the element type, or the column's type in words for `other`. */
  dtype: string;
  rows: number;
  /** Values per row of a vector column, from its first row that is not null. */
  width: number;
  /** The column's values, one batch of rows at a time, in row order. */
  batches(): AsyncIterable<ArrayLike<unknown>>;
}

export interface TableReadContext {
  file: string;
  token?: CancelToken;
  onProgress?: ProgressFn;
  /** Where loads leave what the user should hear (null rows skipped). */
  notes: string[];
}

/** A list value as an array of its elements: JS arrays, typed arrays, and Arrow vectors (via toArray). */
export function listValues(value: unknown): ArrayLike<unknown> | undefined {
  if (value === null || value === undefined || typeof value !== 'object') return undefined;
  const withToArray = value as { toArray?: () => ArrayLike<unknown> };
  if (!Array.isArray(value) && !ArrayBuffer.isView(value) && typeof withToArray.toArray === 'function')
    return withToArray.toArray();
  return typeof (value as ArrayLike<unknown>).length === 'number' ? (value as ArrayLike<unknown>) : undefined;
}

async function loadVector(column: TableColumn, ctx: TableReadContext): Promise<NamedArray> {
  const { name, rows, width } = column;
  const fail = (problem: string): InputError => new InputError(ctx.file, `column '${name}' ${problem}`);
  if (column.kind === 'other') throw fail(`holds ${column.dtype}, not numbers`);
  const data = new Float32Array(rows * width);
  let row = 0;
  let nulls = 0;
  let firstNull = -1;
  for await (const batch of column.batches()) {
    throwIfCancelled(ctx.token);
    if (row + batch.length > rows) throw fail(`has more rows than the ${rows} its metadata declares`);
    for (let k = 0; k < batch.length; k++, row++) {
      const values = listValues(batch[k]);
      if (values === undefined) {
        if (batch[k] !== null && batch[k] !== undefined)
          throw fail(`row ${row} is a ${typeof batch[k]}, not a list of numbers`);
        // Filled with NaN, the row is skipped with the NaN rows (and counted apart, below).
        data.fill(NaN, row * width, (row + 1) * width);
        nulls++;
        if (firstNull < 0) firstNull = row;
        continue;
      }
      if (values.length !== width)
        throw fail(
          `has ragged lists: row ${row} has ${values.length} values, the first row ${width}; embeddings need one length`,
        );
      for (let j = 0; j < width; j++) {
        const v = values[j];
        if (typeof v === 'number') data[row * width + j] = v;
        else if (typeof v === 'bigint') data[row * width + j] = Number(v);
        else if (v === null || v === undefined) data[row * width + j] = NaN;
        else throw fail(`row ${row} holds a ${typeof v} (${JSON.stringify(String(v)).slice(0, 40)}), not a number`);
      }
    }
    ctx.onProgress?.(row / Math.max(rows, 1), `reading column '${name}'`);
  }
  if (row !== rows) throw fail(`has ${row} rows, but its metadata declares ${rows}`);
  if (nulls > 0)
    ctx.notes.push(`column '${name}' has ${nulls} null rows (first: row ${firstNull}), skipped with their pairs`);
  return { shape: [rows, width], dtype: column.dtype, data };
}

async function loadIntegers(column: TableColumn, ctx: TableReadContext): Promise<NamedArray> {
  const data = new Int32Array(column.rows);
  let row = 0;
  for await (const batch of column.batches()) {
    throwIfCancelled(ctx.token);
    for (let k = 0; k < batch.length; k++, row++) {
      const v = batch[k];
      const n = typeof v === 'bigint' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) {
        throw new InputError(ctx.file, `column '${column.name}' row ${row} holds ${String(v)}, not an int32 index`);
      }
      if (row < column.rows) data[row] = n;
    }
  }
  if (row !== column.rows)
    throw new InputError(ctx.file, `column '${column.name}' has ${row} rows, but its metadata declares ${column.rows}`);
  return { shape: [column.rows], dtype: column.dtype, data };
}

export async function loadTableStrings(column: TableColumn, ctx: TableReadContext): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of column.batches()) {
    throwIfCancelled(ctx.token);
    for (let k = 0; k < batch.length; k++) {
      const v = batch[k];
      out.push(v === null || v === undefined ? '' : String(v));
    }
  }
  return out;
}

const shapeOf = (column: TableColumn): number[] =>
  column.kind === 'vector' || column.kind === 'other' ? [column.rows, column.width] : [column.rows];

export function tableArrays(
  format: FileContents['format'],
  columns: TableColumn[],
  ctx: TableReadContext,
): OpenedArrays {
  const arrays: ArraySource[] = columns.map((column) => {
    const info = { name: column.name, shape: shapeOf(column), dtype: column.kind === 'string' ? 'str' : column.dtype };
    const source: ArraySource = {
      info,
      load: async () => ({
        ...(column.kind === 'integer' ? await loadIntegers(column, ctx) : await loadVector(column, ctx)),
        ...info,
      }),
    };
    if (column.kind === 'string') {
      source.load = () =>
        Promise.reject(new InputError(ctx.file, `column '${column.name}' holds strings, not numbers`));
      source.loadStrings = () => loadTableStrings(column, ctx);
    }
    return source;
  });
  return { format, arrays, notes: ctx.notes };
}
