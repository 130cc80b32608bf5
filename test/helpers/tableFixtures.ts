/**
 * Parquet and Arrow fixtures. Parquet bytes come from parquet-wasm (the Rust arrow-rs writer in
 * wasm), a writer independent of hyparquet, the reader under test; the table handed to it is
 * built with apache-arrow. Arrow IPC files are written by apache-arrow itself, the format's
 * reference implementation for JavaScript.
 */
import { writeFileSync } from 'node:fs';
import {
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int64,
  List,
  Table,
  tableToIPC,
  Utf8,
  vectorFromArray,
  type DataType,
  type Vector,
} from 'apache-arrow';
import * as parquetWasm from 'parquet-wasm';

export type ColumnSpec =
  | { kind: 'list' | 'fixed'; rows: (number[] | null)[]; double?: boolean }
  | { kind: 'string'; rows: (string | null)[] }
  | { kind: 'int64'; rows: number[] }
  | { kind: 'strings-list'; rows: string[][] };

export const parquetCompressions = ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'ZSTD', 'BROTLI', 'LZ4_RAW'] as const;
export type ParquetCompression = (typeof parquetCompressions)[number];

function vectorOf(spec: ColumnSpec): Vector {
  if (spec.kind === 'string') return vectorFromArray(spec.rows, new Utf8());
  if (spec.kind === 'int64') return vectorFromArray(spec.rows.map(BigInt), new Int64());
  if (spec.kind === 'strings-list') return vectorFromArray(spec.rows, new List(new Field('item', new Utf8(), true)));
  const element = new Field('item', spec.double ? new Float64() : new Float32(), true);
  const width = spec.rows.find((r) => r !== null)?.length ?? 0;
  const type: DataType = spec.kind === 'fixed' ? new FixedSizeList(width, element) : new List(element);
  return vectorFromArray(spec.rows, type);
}

export function arrowTable(columns: Record<string, ColumnSpec>): Table {
  return new Table(Object.fromEntries(Object.entries(columns).map(([name, spec]) => [name, vectorOf(spec)])));
}

/** Rows of a (N, D) array as lists. */
export function listRows(data: Float32Array, dim: number): number[][] {
  return Array.from({ length: data.length / dim }, (_, k) => Array.from(data.subarray(k * dim, (k + 1) * dim)));
}

export function writeParquetFixture(
  file: string,
  columns: Record<string, ColumnSpec>,
  compression: ParquetCompression,
  rowGroupRows = 2,
): void {
  const wasmTable = parquetWasm.Table.fromIPCStream(tableToIPC(arrowTable(columns), 'stream'));
  const properties = new parquetWasm.WriterPropertiesBuilder()
    .setCompression(parquetWasm.Compression[compression])
    .setMaxRowGroupSize(rowGroupRows)
    .build();
  writeFileSync(file, parquetWasm.writeParquet(wasmTable, properties));
}

export function writeArrowFixture(file: string, columns: Record<string, ColumnSpec>, format: 'file' | 'stream'): void {
  writeFileSync(file, tableToIPC(arrowTable(columns), format));
}
