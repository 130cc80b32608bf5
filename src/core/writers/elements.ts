/** Typed arrays to the bytes of a file dtype. */
import { floatToBfloat16, floatToHalf } from '../readers/float16';

export type WritableDtype = 'float16' | 'bfloat16' | 'float32' | 'float64' | 'int32' | 'int64';

export const dtypeBytes: Record<WritableDtype, number> = {
  float16: 2,
  bfloat16: 2,
  float32: 4,
  float64: 8,
  int32: 4,
  int64: 8,
};

export function encodeElements(data: Float32Array | Int32Array, dtype: WritableDtype, bigEndian = false): Buffer {
  const out = Buffer.alloc(data.length * dtypeBytes[dtype]);
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  const le = !bigEndian;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    switch (dtype) {
      case 'float16':
        view.setUint16(i * 2, floatToHalf(v), le);
        break;
      case 'bfloat16':
        view.setUint16(i * 2, floatToBfloat16(v), le);
        break;
      case 'float32':
        view.setFloat32(i * 4, v, le);
        break;
      case 'float64':
        view.setFloat64(i * 8, v, le);
        break;
      case 'int32':
        view.setInt32(i * 4, v, le);
        break;
      case 'int64':
        view.setBigInt64(i * 8, BigInt(Math.trunc(v)), le);
        break;
    }
  }
  return out;
}
