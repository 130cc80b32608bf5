/** A .npz file (a zip of .npy members) as an OpenedArrays. Members not named *.npy are not arrays and are left out. */
import type { CancelToken } from '../util/cancel';
import type { OpenFile } from './fileAccess';
import { isStringType } from './dtypes';
import { decodeNpyData, decodeNpyStrings, npyHeaderEnd, npyPreambleBytes, parseNpyHeader } from './npy';
import type { ArraySource, OpenedArrays } from './types';
import { readZipDirectory, readZipMember, readZipMemberPrefix } from './zip';

/** Room for a typical header in one go; longer ones cost a second prefix read. */
const headerGuessBytes = 4096;

export async function openNpz(f: OpenFile, memoryBudgetBytes: number, token?: CancelToken): Promise<OpenedArrays> {
  const arrays: ArraySource[] = [];
  for (const entry of await readZipDirectory(f)) {
    if (!entry.name.endsWith('.npy')) continue;
    let prefix = await readZipMemberPrefix(f, entry, Math.min(headerGuessBytes, entry.size));
    const end = npyHeaderEnd(prefix.subarray(0, npyPreambleBytes), f.file, entry.name);
    if (end > prefix.length && end <= entry.size) prefix = await readZipMemberPrefix(f, entry, end);
    const header = parseNpyHeader(prefix, f.file, entry.name);
    const info = { name: entry.name.slice(0, -'.npy'.length), shape: header.shape, dtype: header.type.name };
    const data = async () => (await readZipMember(f, entry, memoryBudgetBytes, token)).subarray(header.dataOffset);
    arrays.push({
      info,
      load: async () => ({ ...info, data: decodeNpyData(header, await data(), f.file, entry.name) }),
      ...(isStringType(header.type.name) && {
        loadStrings: async () => decodeNpyStrings(header, await data(), f.file, entry.name),
      }),
    });
  }
  return { format: 'npz', arrays };
}
