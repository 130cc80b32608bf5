/** Whole-file writes that never leave a partial file: a temp file in the same folder, then a rename. */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';

export async function writeFileAtomic(file: string, data: Uint8Array): Promise<void> {
  // Same folder, so the rename stays on one filesystem and is atomic.
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
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
