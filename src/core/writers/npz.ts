/** .npz encoding: each array an .npy member of a zip, as numpy's savez / savez_compressed write them. */
import { encodeNpy, type NpyDtype } from './npy';
import { encodeZip } from './zip';

export interface NpzArray {
  shape: number[];
  data: Float32Array | Int32Array;
  dtype?: NpyDtype;
}

export function encodeNpz(members: Record<string, NpzArray>, opts: { deflate?: boolean } = {}): Buffer {
  return encodeZip(
    Object.entries(members).map(([key, a]) => ({
      name: `${key}.npy`,
      data: encodeNpy(a.shape, a.data, { dtype: a.dtype }),
      deflate: opts.deflate,
    })),
  );
}
