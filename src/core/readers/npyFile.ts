/** A .npy file as an OpenedArrays: one array, named after the file. */
import * as path from 'node:path';
import { elementCount, isFloatType, isRawFloat32, readFloatChunks, readRawFloat32 } from './dtypes';
import type { OpenFile } from './fileAccess';
import { decodeNpyData, npyDataBytes, npyHeaderEnd, npyPreambleBytes, parseNpyHeader } from './npy';
import type { OpenedArrays } from './types';

export async function openNpy(f: OpenFile): Promise<OpenedArrays> {
  const preamble = await f.read(0, Math.min(npyPreambleBytes, f.size), 'the .npy preamble');
  const end = npyHeaderEnd(preamble, f.file);
  const header = parseNpyHeader(await f.read(0, end, 'the .npy header'), f.file);
  const info = { name: path.basename(f.file, path.extname(f.file)), shape: header.shape, dtype: header.type.name };
  return {
    format: 'npy',
    arrays: [
      {
        info,
        async load() {
          const count = elementCount(header.shape);
          if (!header.fortranOrder && isFloatType(header.type.name) && npyDataBytes(header) <= f.size - end) {
            const read = (o: number, t: Uint8Array, w: string) => f.readInto(o, t, w);
            const data = isRawFloat32(header.type)
              ? await readRawFloat32(read, end, count, 'the array data')
              : await readFloatChunks(read, end, count, header.type, f.file, 'the array data');
            return { ...info, data };
          }
          // Read no more than the header promises; a short file is reported by decodeNpyData.
          const data = await f.read(end, Math.min(npyDataBytes(header), f.size - end), 'the array data');
          return { ...info, data: decodeNpyData(header, data, f.file) };
        },
      },
    ],
  };
}
