/** Element types of the three formats, and their decoding into the float32/int32 arrays the core uses. */
import { InputError } from '../util/errors';
import { bfloat16ToFloat, halfToFloat } from './float16';

export interface ElementType {
  /** numpy's name ('float16', 'int64', ...), or the file's own spelling when unknown. */
  name: string;
  /** Bytes per element. */
  size: number;
  bigEndian: boolean;
}

const floatNames = new Set(['float16', 'bfloat16', 'float32', 'float64']);
const intNames = new Set(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64']);

export const isFloatType = (name: string): boolean => floatNames.has(name);
export const isIntType = (name: string): boolean => intNames.has(name);
/** numpy's fixed-width strings: 'str' (dtype U, UTF-32 code points), 'bytes' (dtype S). */
export const isStringType = (name: string): boolean => name === 'str' || name === 'bytes';

const npyKinds: Record<string, string> = { f: 'float', i: 'int', u: 'uint', b: 'bool' };

/** A numpy descr such as '<f4', '>i8' or '<U40'. Object arrays are pickles: the caller must refuse them. */
export function npyElementType(descr: string): ElementType | 'pickled' {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  if (m?.[2] === 'O') return 'pickled';
  // U<n>: n UTF-32 code points per element; S<n>: n bytes.
  if ((m?.[2] === 'U' || m?.[2] === 'S') && Number(m[3]) > 0) {
    const unicode = m[2] === 'U';
    return { name: unicode ? 'str' : 'bytes', size: Number(m[3]) * (unicode ? 4 : 1), bigEndian: m[1] === '>' };
  }
  const kind = m && npyKinds[m[2]];
  const size = m ? Number(m[3]) : 0;
  if (!m || !kind || !(size > 0)) return { name: descr, size: Math.max(size, 1), bigEndian: false };
  return { name: kind === 'bool' ? 'bool' : `${kind}${size * 8}`, size, bigEndian: m[1] === '>' };
}

const safetensorsNames: Record<string, [string, number]> = {
  F16: ['float16', 2],
  BF16: ['bfloat16', 2],
  F32: ['float32', 4],
  F64: ['float64', 8],
  I8: ['int8', 1],
  I16: ['int16', 2],
  I32: ['int32', 4],
  I64: ['int64', 8],
  U8: ['uint8', 1],
  U16: ['uint16', 2],
  U32: ['uint32', 4],
  U64: ['uint64', 8],
  BOOL: ['bool', 1],
};

/** undefined: a dtype this reader does not know, so its byte size cannot be checked either. */
export function safetensorsElementType(dtype: string): ElementType | undefined {
  const known = safetensorsNames[dtype];
  return known && { name: known[0], size: known[1], bigEndian: false };
}

export function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Python's tuple spelling, as numpy users know shapes: (2, 500, 512), (7,). */
export function shapeText(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** Whether decodeElements would copy the bytes unchanged: little-endian float32. */
export const isRawFloat32 = (type: ElementType): boolean => type.name === 'float32' && !type.bigEndian;

/**
 * What decodeElements gives for little-endian float32 data of `count` elements, read straight from
 * the file into the array's own memory: the large-array path holds one copy of the data, not two.
 */
export async function readRawFloat32(
  read: (offset: number, target: Uint8Array, what: string) => Promise<void>,
  offset: number,
  count: number,
  what: string,
  /** Where to put them (a shard's rows of a larger array), instead of a new array. */
  out: Float32Array = new Float32Array(count),
): Promise<Float32Array> {
  await read(offset, new Uint8Array(out.buffer, out.byteOffset, out.byteLength), what);
  return out;
}

/** Elements converted per chunk: 4 MiB of float32 output at a time. */
const chunkElements = 1 << 20;

/**
 * Any other float type (float16, bfloat16, float64, big-endian float32) read and converted a chunk
 * at a time into the float32 result, so the file's bytes never sit in memory whole beside it.
 */
export async function readFloatChunks(
  read: (offset: number, target: Uint8Array, what: string) => Promise<void>,
  offset: number,
  count: number,
  type: ElementType,
  file: string,
  what: string,
  out: Float32Array = new Float32Array(count),
): Promise<Float32Array> {
  const buf = new Uint8Array(Math.min(count, chunkElements) * type.size);
  for (let done = 0; done < count; done += chunkElements) {
    const k = Math.min(chunkElements, count - done);
    const bytes = buf.subarray(0, k * type.size);
    await read(offset + done * type.size, bytes, what);
    out.set(decodeElements(bytes, type, k, file, what) as Float32Array, done);
  }
  return out;
}

/**
 * Floats widen or narrow to float32, integers narrow to int32 (the only integers the core takes are
 * indices, which never need more). `what` names the array in error messages.
 */
export function decodeElements(
  bytes: Uint8Array,
  type: ElementType,
  count: number,
  file: string,
  what: string,
): Float32Array | Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * type.size);
  const le = !type.bigEndian;
  if (isFloatType(type.name)) {
    const out = new Float32Array(count);
    if (type.name === 'float32' && le) new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
    else if (type.name === 'float32') for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, false);
    else if (type.name === 'float64') {
      for (let i = 0; i < count; i++) {
        const v = view.getFloat64(i * 8, le);
        out[i] = v;
        // Narrowed to Inf, the row would be skipped as if the file held Inf: say what the file holds.
        if (!Number.isFinite(out[i]) && Number.isFinite(v)) {
          throw new InputError(
            file,
            `${what} holds the float64 value ${v}, beyond float32's range (±3.4e38) in which the metrics are computed; scale the embeddings down`,
          );
        }
      }
    } else {
      const convert = type.name === 'float16' ? halfToFloat : bfloat16ToFloat;
      for (let i = 0; i < count; i++) out[i] = convert(view.getUint16(i * 2, le));
    }
    return out;
  }
  if (!isIntType(type.name))
    throw new InputError(file, `${what} has dtype ${type.name}, which Embedding Lens cannot read`);
  const out = new Int32Array(count);
  const get = integerGetter(view, type, le);
  for (let i = 0; i < count; i++) {
    const v = get(i);
    if (v < -0x80000000 || v > 0x7fffffff) {
      throw new InputError(file, `${what} holds ${v} at position ${i}, beyond the int32 range of an index`);
    }
    out[i] = Number(v);
  }
  return out;
}

function integerGetter(view: DataView, type: ElementType, le: boolean): (i: number) => number | bigint {
  switch (type.name) {
    case 'int8':
      return (i) => view.getInt8(i);
    case 'uint8':
      return (i) => view.getUint8(i);
    case 'int16':
      return (i) => view.getInt16(i * 2, le);
    case 'uint16':
      return (i) => view.getUint16(i * 2, le);
    case 'int32':
      return (i) => view.getInt32(i * 4, le);
    case 'uint32':
      return (i) => view.getUint32(i * 4, le);
    case 'int64':
      return (i) => view.getBigInt64(i * 8, le);
    default:
      return (i) => view.getBigUint64(i * 8, le);
  }
}

/** numpy's fortran_order data is column-major; the core wants row-major. */
export function fortranToRowMajor<T extends Float32Array | Int32Array>(data: T, shape: number[]): T {
  if (shape.length < 2) return data;
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const strides: number[] = [];
  let stride = 1;
  for (const dim of shape) {
    strides.push(stride);
    stride *= dim;
  }
  const index = new Array<number>(shape.length).fill(0);
  let src = 0;
  for (let dst = 0; dst < out.length; dst++) {
    out[dst] = data[src];
    // Odometer over the row-major index, last axis fastest, tracking the column-major offset.
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis]++;
      src += strides[axis];
      if (index[axis] < shape[axis]) break;
      src -= strides[axis] * shape[axis];
      index[axis] = 0;
    }
  }
  return out;
}
