/**
 * Reading a user's file in chunks: the token is checked and progress reported between chunks, and the
 * file must look the same (size, mtime, inode) when the reading ends as when it began.
 */
import { constants, promises as fsp, type Stats } from 'node:fs';
import { throwIfCancelled, type CancelToken, type ProgressFn } from '../util/cancel';
import { InputError } from '../util/errors';

const chunkBytes = 8 * 1024 * 1024;

export interface ReadContext {
  token?: CancelToken;
  onProgress?: ProgressFn;
}

export interface OpenFile {
  /** The path as the user gave it, for messages. */
  readonly file: string;
  readonly size: number;
  /** Exactly `length` bytes at `offset`, or an InputError saying the file is truncated. */
  read(offset: number, length: number, what: string): Promise<Buffer>;
  /** read(), but straight into `target` (all of it): no intermediate copy of large arrays. */
  readInto(offset: number, target: Uint8Array, what: string): Promise<void>;
}

const sameFile = (a: Stats, b: Stats): boolean => a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;

/** Opens `file`, runs `use`, and refuses the result if the file changed meanwhile. */
export async function withFile<T>(file: string, ctx: ReadContext, use: (f: OpenFile) => Promise<T>): Promise<T> {
  let handle: fsp.FileHandle;
  try {
    // Non-blocking: a named pipe's open waits for a writer, past any cancel; this way it opens at
    // once and is refused below as not a regular file. Regular files read as they would anyway.
    handle = await fsp.open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    throw new InputError(file, openProblem(err));
  }
  try {
    const before = await handle.stat();
    if (!before.isFile()) throw new InputError(file, 'not a regular file');
    if (before.size === 0) throw new InputError(file, 'empty file (0 bytes)');
    // Progress counts every byte read against the file size, so it only grows across the reads of one file.
    let readSoFar = 0;
    const readInto = async (offset: number, buf: Uint8Array, what: string): Promise<void> => {
      const length = buf.length;
      if (offset + length > before.size) {
        throw new InputError(
          file,
          `truncated: ${what} needs bytes ${offset} to ${offset + length}, file has ${before.size}`,
        );
      }
      for (let done = 0; done < length;) {
        throwIfCancelled(ctx.token);
        const want = Math.min(chunkBytes, length - done);
        const { bytesRead } = await handle.read(buf, done, want, offset + done);
        if (bytesRead === 0) throw new InputError(file, 'changed on disk while being read (it shrank)');
        done += bytesRead;
        readSoFar += bytesRead;
        ctx.onProgress?.(Math.min(1, readSoFar / before.size), `reading ${what}`);
      }
    };
    const open: OpenFile = {
      file,
      size: before.size,
      async read(offset, length, what) {
        if (offset + length > before.size) {
          throw new InputError(
            file,
            `truncated: ${what} needs bytes ${offset} to ${offset + length}, file has ${before.size}`,
          );
        }
        const buf = Buffer.allocUnsafe(length);
        await readInto(offset, buf, what);
        return buf;
      },
      readInto,
    };
    const result = await use(open);
    // The path is checked as well as the handle: an atomic replace leaves the open handle untouched.
    const [afterHandle, afterPath] = await Promise.all([handle.stat(), fsp.stat(file).catch(() => undefined)]);
    if (!sameFile(before, afterHandle) || !afterPath || !sameFile(before, afterPath)) {
      throw new InputError(file, 'changed on disk while being read; read it again once it is written');
    }
    return result;
  } finally {
    await handle.close();
  }
}

function openProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a folder, not a file';
  return `cannot open (${code ?? String(err)})`;
}
