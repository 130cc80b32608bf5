/**
 * One tensor of a torch.save archive, read from its storage with its offset and strides: a
 * transposed or sliced tensor (x.T, x[::2]) is saved as a view of the whole storage, and reads
 * right only by following the strides.
 */
import { InputError } from '../util/errors';
import {
  decodeElements,
  elementCount,
  isFloatType,
  isRawFloat32,
  readFloatChunks,
  readRawFloat32,
  shapeText,
  type ElementType,
} from './dtypes';
import type { TensorReference } from './restrictedUnpickler';

/** A storage member's bytes, read by byte offset. */
export interface StorageBytes {
  name: string;
  size: number;
  read(offset: number, target: Uint8Array, what: string): Promise<void>;
}

export interface TensorReadOptions {
  name: string;
  file: string;
  bigEndian: boolean;
  memoryBudgetBytes: number;
}

const itemBytes: Record<string, number> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** Row-major strides ignore dimensions of size 1, whose stride torch leaves at any value. */
function isRowMajor(shape: number[], strides: number[]): boolean {
  let expected = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    if (shape[axis] !== 1 && strides[axis] !== expected) return false;
    expected *= shape[axis];
  }
  return true;
}

export async function readPytorchTensor(
  tensor: TensorReference,
  storage: StorageBytes,
  opts: TensorReadOptions,
): Promise<Float32Array | Int32Array> {
  const { shape, strides, storageOffset } = tensor;
  const what = `tensor '${opts.name}'`;
  const fail = (problem: string): InputError => new InputError(opts.file, `${what} ${problem}`);
  const dtype = tensor.storage.dtype;
  const size = itemBytes[dtype];
  if (storage.size % size !== 0)
    throw fail(`has a ${dtype} storage of ${storage.size} bytes, not a whole number of ${size}-byte elements`);
  const storageElements = storage.size / size;
  const type: ElementType = { name: dtype, size, bigEndian: opts.bigEndian };
  const count = elementCount(shape);
  if (count === 0) return isFloatType(dtype) ? new Float32Array(0) : new Int32Array(0);
  // The element one past the last the view touches: strides are non-negative in torch's saved views.
  const span = 1 + shape.reduce((sum, dim, axis) => sum + (dim - 1) * strides[axis], 0);
  if (storageOffset + span > storageElements) {
    throw fail(
      `has shape ${shapeText(shape)}, strides ${shapeText(strides)} and offset ${storageOffset}, reaching element ${storageOffset + span - 1} of a storage of ${storageElements}`,
    );
  }
  const read = (offset: number, target: Uint8Array, w: string) => storage.read(offset, target, w);
  const start = storageOffset * size;
  if (isRowMajor(shape, strides)) {
    if (isRawFloat32(type)) return readRawFloat32(read, start, count, what);
    if (isFloatType(dtype)) return readFloatChunks(read, start, count, type, opts.file, what);
    const bytes = new Uint8Array(count * size);
    await read(start, bytes, what);
    return decodeElements(bytes, type, count, opts.file, what);
  }
  // A view: read the span it covers once, then gather. The span of x.T is x itself, but x[::1000] spans the whole storage.
  const spanBytes = span * size + span * 4;
  if (spanBytes > opts.memoryBudgetBytes) {
    throw fail(
      `is a strided view (strides ${shapeText(strides)}) over ${span} storage elements, more than the memory budget of ${opts.memoryBudgetBytes} bytes holds; save it with .contiguous() or .clone()`,
    );
  }
  const bytes = new Uint8Array(span * size);
  await read(start, bytes, what);
  const spanValues = decodeElements(bytes, type, span, opts.file, what);
  const out = new (spanValues.constructor as new (n: number) => Float32Array | Int32Array)(count);
  const index = new Array<number>(shape.length).fill(0);
  let source = 0;
  for (let k = 0; k < count; k++) {
    out[k] = spanValues[source];
    // Odometer over the output's row-major index, tracking the strided source offset.
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis]++;
      source += strides[axis];
      if (index[axis] < shape[axis]) break;
      source -= strides[axis] * shape[axis];
      index[axis] = 0;
    }
  }
  return out;
}
