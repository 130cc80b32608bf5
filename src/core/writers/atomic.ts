/** Whole-file writes that never leave a partial file: a temp file in the same folder, then a rename. */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../util/errors';

/**
 * Whether `name` is a temp file of writeFileAtomic whose process is gone: killed mid-write, it
 * left the file behind. One whose writer still runs (another process on the folder) is not.
 */
export function isAbandonedTemp(name: string): boolean {
  const m = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name);
  if (!m) return false;
  try {
    process.kill(Number(m[1]), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export async function writeFileAtomic(file: string, data: Uint8Array): Promise<void> {
  // Same folder, so the rename stays on one filesystem and is atomic.
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    const handle = await fsp.open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(file, `cannot write (${code ?? (err as Error).message})`);
  }
}
