/**
 * Writing checkpoints, atomically (never a partial file on disk). The encode* functions are the pure
 * in-memory halves, also used by tests to build damaged or unusual files.
 */
import { writeFileAtomic } from './atomic';
import { encodeNpy, type NpyEncodeOptions } from './npy';
import { encodeNpz, type NpzArray } from './npz';
import { encodeSafetensors, type TensorInput } from './safetensors';

export { encodeElements, type WritableDtype } from './elements';
export {
  encodeNpy,
  encodeNpyHeader,
  encodeNpyStrings,
  type NpyDtype,
  type NpyEncodeOptions,
  type NpyHeaderFields,
} from './npy';
export { encodeNpz, type NpzArray } from './npz';
export { encodeSafetensors, type SafetensorsDtype, type TensorInput } from './safetensors';
export { encodeZip, type ZipMemberInput } from './zip';
export { isAbandonedTemp, writeFileAtomic } from './atomic';

export async function writeNpy(
  file: string,
  shape: number[],
  data: Float32Array | Int32Array,
  opts?: NpyEncodeOptions,
): Promise<void> {
  await writeFileAtomic(file, encodeNpy(shape, data, opts));
}

export async function writeNpz(
  file: string,
  members: Record<string, NpzArray>,
  opts?: { deflate?: boolean },
): Promise<void> {
  await writeFileAtomic(file, encodeNpz(members, opts));
}

export async function writeSafetensors(
  file: string,
  tensors: Record<string, TensorInput>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}
