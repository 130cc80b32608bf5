/**
 * A zip reader for .npz files, written for hostile input: it reads the central directory, refuses
 * unsafe member paths, encryption and unknown methods, caps inflation at the declared size (itself
 * capped by the memory budget), and checks every member's length and CRC.
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { throwIfCancelled, type CancelToken } from '../util/cancel';
import { InputError } from '../util/errors';
import { crc32 } from './crc32';
import type { OpenFile } from './fileAccess';

export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const sig = { local: 0x04034b50, central: 0x02014b50, end: 0x06054b50, end64: 0x06064b50, locator64: 0x07064b50 };
const eocdBytes = 22;
const maxCommentBytes = 0xffff;

const inflateRaw = promisify(zlib.inflateRaw);

export async function readZipDirectory(f: OpenFile): Promise<ZipEntry[]> {
  const damaged = (problem: string): InputError =>
    new InputError(f.file, `damaged or truncated zip archive: ${problem}`);
  const tailStart = Math.max(0, f.size - eocdBytes - maxCommentBytes);
  const tail = await f.read(tailStart, f.size - tailStart, 'zip directory');
  let eocd = -1;
  for (let i = tail.length - eocdBytes; i >= 0 && eocd < 0; i--) if (tail.readUInt32LE(i) === sig.end) eocd = i;
  if (eocd < 0) {
    throw new InputError(f.file, 'not a zip archive, or a truncated one (no end-of-central-directory record)');
  }
  if (tail.readUInt16LE(eocd + 4) !== 0 || tail.readUInt16LE(eocd + 6) !== 0) {
    throw new InputError(f.file, 'multi-part (spanned) zip archives are not supported');
  }
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // Zip64: the real figures sit in the zip64 end record that the locator just before EOCD points to.
    const locator = eocd - 20;
    if (locator < 0 || tail.readUInt32LE(locator) !== sig.locator64) throw damaged('zip64 locator missing');
    const end64 = await f.read(Number(tail.readBigUInt64LE(locator + 8)), 56, 'zip64 directory record');
    if (end64.readUInt32LE(0) !== sig.end64) throw damaged('zip64 end record missing');
    count = Number(end64.readBigUInt64LE(32));
    cdSize = Number(end64.readBigUInt64LE(40));
    cdOffset = Number(end64.readBigUInt64LE(48));
  }
  if (cdOffset + cdSize > f.size) throw damaged(`central directory runs past the end of the file (${f.size} bytes)`);
  const cd = await f.read(cdOffset, cdSize, 'zip central directory');
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== sig.central)
      throw damaged(`central directory entry ${k} is missing`);
    const flags = cd.readUInt16LE(p + 8);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const next = p + 46 + nameLength + extraLength + cd.readUInt16LE(p + 32);
    if (next > cd.length) throw damaged(`central directory entry ${k} is cut short`);
    const name = cd.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLength);
    const entry: ZipEntry = {
      name,
      method: cd.readUInt16LE(p + 10),
      crc: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
    };
    applyZip64Extra(entry, cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength));
    if (isUnsafePath(name)) {
      throw new InputError(
        f.file,
        `member '${name}' has an unsafe path (absolute or containing '..'); the archive is refused`,
      );
    }
    // numpy reads the last of two same-named members, other tools the first: no answer is safe.
    if (names.has(name))
      throw new InputError(f.file, `member '${name}' appears twice in the zip directory; the archive is refused`);
    names.add(name);
    if (flags & 1) throw new InputError(f.file, `member '${name}' is encrypted`);
    if (entry.method !== 0 && entry.method !== 8) {
      throw new InputError(
        f.file,
        `member '${name}' uses zip compression method ${entry.method}; only stored and deflated members are read`,
      );
    }
    entries.push(entry);
    p = next;
  }
  return entries;
}

/** Sizes and offset saturated at 0xFFFFFFFF live, in this order, in the zip64 extra field (id 1). */
function applyZip64Extra(entry: ZipEntry, extra: Buffer): void {
  for (let q = 0; q + 4 <= extra.length;) {
    const id = extra.readUInt16LE(q);
    const length = extra.readUInt16LE(q + 2);
    if (id === 1) {
      let r = q + 4;
      const take = (): number | undefined => {
        if (r + 8 > q + 4 + length) return undefined;
        r += 8;
        return Number(extra.readBigUInt64LE(r - 8));
      };
      if (entry.size === 0xffffffff) entry.size = take() ?? entry.size;
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = take() ?? entry.compressedSize;
      if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = take() ?? entry.localHeaderOffset;
      return;
    }
    q += 4 + length;
  }
}

function isUnsafePath(name: string): boolean {
  return /^[\\/]/.test(name) || /^[a-zA-Z]:/.test(name) || name.split(/[\\/]/).includes('..');
}

/** Where the member's compressed bytes start (the local header's own name and extra lengths count). */
export async function dataStart(f: OpenFile, entry: ZipEntry): Promise<number> {
  const what = `local header of member '${entry.name}'`;
  const local = await f.read(entry.localHeaderOffset, 30, what);
  if (local.readUInt32LE(0) !== sig.local) {
    throw new InputError(
      f.file,
      `damaged zip archive: member '${entry.name}' has no local header where the directory says`,
    );
  }
  // Streaming unzippers read the local header alone: where it disagrees with the directory, tools disagree on what the archive holds.
  const nameLength = local.readUInt16LE(26);
  const localName = (await f.read(entry.localHeaderOffset + 30, nameLength, what)).toString(
    local.readUInt16LE(6) & 0x800 ? 'utf8' : 'latin1',
  );
  if (localName !== entry.name) {
    throw new InputError(
      f.file,
      `damaged zip archive: member '${entry.name}' is named '${localName}' in its local header`,
    );
  }
  if (local.readUInt16LE(8) !== entry.method) {
    throw new InputError(
      f.file,
      `damaged zip archive: member '${entry.name}' has compression method ${local.readUInt16LE(8)} in its local header, ${entry.method} in the directory`,
    );
  }
  const start = entry.localHeaderOffset + 30 + nameLength + local.readUInt16LE(28);
  if (start + entry.compressedSize > f.size) {
    throw new InputError(f.file, `truncated zip archive: member '${entry.name}' runs past the end of the file`);
  }
  return start;
}

export async function readZipMember(
  f: OpenFile,
  entry: ZipEntry,
  memoryBudgetBytes: number,
  token?: CancelToken,
): Promise<Buffer> {
  const member = `member '${entry.name}'`;
  if (entry.size > memoryBudgetBytes) {
    throw new InputError(
      f.file,
      `${member} declares ${entry.size} bytes uncompressed, over the memory budget of ${memoryBudgetBytes} bytes; refused as a possible zip bomb`,
    );
  }
  const compressed = await f.read(await dataStart(f, entry), entry.compressedSize, member);
  let data: Buffer;
  if (entry.method === 0) data = compressed;
  else {
    try {
      // Never inflate past what the directory declared: a bomb stops at the cap instead of filling memory.
      data = await inflateRaw(compressed, { maxOutputLength: Math.max(entry.size, 1) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new InputError(
          f.file,
          `${member} inflates past its declared ${entry.size} bytes; refused as a possible zip bomb`,
        );
      }
      throw new InputError(f.file, `${member} is corrupt (bad deflate data: ${(err as Error).message})`);
    }
  }
  if (data.length !== entry.size) {
    throw new InputError(f.file, `${member} holds ${data.length} bytes, but the zip directory declares ${entry.size}`);
  }
  if ((await chunkedCrc32(data, token)) !== entry.crc) {
    throw new InputError(f.file, `${member} fails its CRC-32 check (the archive is corrupt)`);
  }
  return data;
}

async function chunkedCrc32(data: Buffer, token?: CancelToken): Promise<number> {
  const step = 16 * 1024 * 1024;
  let crc = 0;
  for (let i = 0; i < data.length; i += step) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    throwIfCancelled(token);
    crc = crc32(data.subarray(i, i + step), crc);
  }
  return crc;
}

/**
 * The first bytes of a member, at least `want` of them where the member has that many, without
 * inflating the rest: the editor lists a large .npz by its .npy headers alone.
 */
export async function readZipMemberPrefix(f: OpenFile, entry: ZipEntry, want: number): Promise<Buffer> {
  const member = `member '${entry.name}'`;
  const start = await dataStart(f, entry);
  if (entry.method === 0) return f.read(start, Math.min(want, entry.compressedSize), member);
  // Most members yield `want` bytes from their first 4 KB; read on only where they do not (incompressible data, empty blocks).
  for (let take = Math.min(4096, entry.compressedSize); ; take = Math.min(take * 16, entry.compressedSize)) {
    const out = await inflatePrefix(await f.read(start, take, member), want, f.file, member);
    if (out.length >= want || take === entry.compressedSize) return out;
  }
}

/**
 * Inflates until `want` bytes come out, or the data ends (a cut stream gives what it holds): the
 * stream's backpressure stops the inflation there, so a bomb costs no more than `want`.
 */
async function inflatePrefix(compressed: Buffer, want: number, file: string, member: string): Promise<Buffer> {
  const inflater = zlib.createInflateRaw({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
  inflater.end(compressed);
  const pieces: Buffer[] = [];
  let have = 0;
  try {
    for await (const piece of inflater as AsyncIterable<Buffer>) {
      pieces.push(piece);
      have += piece.length;
      if (have >= want) break;
    }
  } catch (err) {
    throw new InputError(file, `${member} is corrupt (bad deflate data: ${(err as Error).message})`);
  }
  return Buffer.concat(pieces).subarray(0, want);
}
