/** .npy encoding, numpy's layout: header dict padded with spaces to a 64-byte boundary, then the data. */
import { fortranToRowMajor } from '../readers/dtypes';
import { npyMagic } from '../readers/npy';
import { encodeElements, type WritableDtype } from './elements';

export type NpyDtype = Exclude<WritableDtype, 'bfloat16'>;

export interface NpyHeaderFields {
  /** numpy's descr, e.g. '<f4'; written as given, so tests can write any. */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

export interface NpyEncodeOptions {
  /** Defaults to float32 for a Float32Array, int32 for an Int32Array. */
  dtype?: NpyDtype;
  bigEndian?: boolean;
  /** Writes the data column-major, flagged fortran_order: True. */
  fortranOrder?: boolean;
  /** 1.0 unless the header needs 2.0 (over 64 KiB); 3.0 is 2.0 with a UTF-8 header. */
  version?: 1 | 2 | 3;
}

const descrCodes: Record<NpyDtype, string> = { float16: 'f2', float32: 'f4', float64: 'f8', int32: 'i4', int64: 'i8' };

export function encodeNpyHeader(fields: NpyHeaderFields, version?: 1 | 2 | 3): Buffer {
  const shape = fields.shape.length === 1 ? `(${fields.shape[0]},)` : `(${fields.shape.join(', ')})`;
  const dict = `{'descr': '${fields.descr}', 'fortran_order': ${fields.fortranOrder ? 'True' : 'False'}, 'shape': ${shape}, }`;
  const encoding = version === 3 ? 'utf8' : 'latin1';
  const dictBytes = Buffer.byteLength(dict, encoding);
  const padded = (preamble: number): number => Math.ceil((preamble + dictBytes + 1) / 64) * 64;
  const v = version ?? (padded(10) - 10 > 0xffff ? 2 : 1);
  const preamble = v === 1 ? 10 : 12;
  const total = padded(preamble);
  const header = Buffer.alloc(total, 0x20);
  npyMagic.copy(header, 0);
  header[6] = v;
  header[7] = 0;
  if (v === 1) header.writeUInt16LE(total - preamble, 8);
  else header.writeUInt32LE(total - preamble, 8);
  header.write(dict, preamble, encoding);
  header[total - 1] = 0x0a;
  return header;
}

export function encodeNpy(shape: number[], data: Float32Array | Int32Array, opts: NpyEncodeOptions = {}): Buffer {
  if (shape.reduce((a, b) => a * b, 1) !== data.length) {
    throw new Error(`encodeNpy: shape (${shape.join(', ')}) does not hold ${data.length} elements`);
  }
  const dtype = opts.dtype ?? (data instanceof Float32Array ? 'float32' : 'int32');
  const fortranOrder = opts.fortranOrder ?? false;
  const descr = `${opts.bigEndian ? '>' : '<'}${descrCodes[dtype]}`;
  // Column-major data of a shape is row-major data of the reversed shape, hence the reuse.
  const ordered = fortranOrder ? fortranToRowMajor(data, [...shape].reverse()) : data;
  return Buffer.concat([
    encodeNpyHeader({ descr, fortranOrder, shape }, opts.version),
    encodeElements(ordered, dtype, opts.bigEndian),
  ]);
}

/** A 1-D numpy unicode array ('<U' + the longest string's code points), as np.array(list_of_str) saves it. */
export function encodeNpyStrings(strings: string[]): Buffer {
  const points = strings.map((t) => Array.from(t, (c) => c.codePointAt(0)!));
  const width = Math.max(1, ...points.map((p) => p.length));
  const data = Buffer.alloc(strings.length * width * 4);
  points.forEach((p, k) => p.forEach((code, i) => data.writeUInt32LE(code, (k * width + i) * 4)));
  return Buffer.concat([encodeNpyHeader({ descr: `<U${width}`, fortranOrder: false, shape: [strings.length] }), data]);
}
