/** safetensors encoding: length-prefixed JSON header padded to 8 bytes, then the tensors back to back. */
import { dtypeBytes, encodeElements, type WritableDtype } from './elements';

export type SafetensorsDtype = 'F16' | 'BF16' | 'F32' | 'F64' | 'I32' | 'I64';

export interface TensorInput {
  shape: number[];
  dtype: SafetensorsDtype;
  data: Float32Array | Int32Array;
}

const names: Record<SafetensorsDtype, WritableDtype> = {
  F16: 'float16',
  BF16: 'bfloat16',
  F32: 'float32',
  F64: 'float64',
  I32: 'int32',
  I64: 'int64',
};

export function encodeSafetensors(tensors: Record<string, TensorInput>, metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const bodies: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (t.shape.reduce((a, b) => a * b, 1) !== t.data.length) {
      throw new Error(
        `encodeSafetensors: tensor '${name}' shape [${t.shape.join(', ')}] does not hold ${t.data.length} elements`,
      );
    }
    const bytes = t.data.length * dtypeBytes[names[t.dtype]];
    // defineProperty: a tensor named __proto__ must become a key, not the object's prototype.
    Object.defineProperty(header, name, {
      value: { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] },
      enumerable: true,
    });
    bodies.push(encodeElements(t.data, names[t.dtype]));
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Buffer.alloc(Math.ceil(json.length / 8) * 8, 0x20);
  json.copy(padded);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(padded.length));
  return Buffer.concat([length, padded, ...bodies]);
}
