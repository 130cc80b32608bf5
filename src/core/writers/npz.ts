/** .npz encoding: each array an .npy member of a zip, as numpy's savez / savez_compressed write them. */
import { encodeNpy, encodeNpyStrings, type NpyDtype } from './npy';
import { encodeZip } from './zip';

/** A numeric member, or a string one (numpy '<U'), e.g. the captions of the texts. */
export type NpzArray = { shape: number[]; data: Float32Array | Int32Array; dtype?: NpyDtype } | { strings: string[] };

export function encodeNpz(members: Record<string, NpzArray>, opts: { deflate?: boolean } = {}): Buffer {
  return encodeZip(
    Object.entries(members).map(([key, a]) => ({
      name: `${key}.npy`,
      data: 'strings' in a ? encodeNpyStrings(a.strings) : encodeNpy(a.shape, a.data, { dtype: a.dtype }),
      deflate: opts.deflate,
    })),
  );
}
