import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import { InputError } from '../../src/core/util/errors';

/** A fresh folder, removed when the test file ends. */
export function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'elens-readers-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Values that float16 and bfloat16 hold exactly (sixteenths up to +-1.03) and never zero, so rows
 * survive the reader's zero-row check and every dtype round-trips bit for bit.
 */
export function exactValues(length: number, offset = 0): Float32Array {
  return Float32Array.from({ length }, (_, i) => (((i * 7 + offset) % 17) - 8.5) / 8);
}

/** The user-facing contract of a refusal: an InputError, one line, naming the file and the problem. */
export async function assertInputError(work: Promise<unknown>, file: string, problem: RegExp): Promise<void> {
  await assert.rejects(work, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    assert.equal(err.file, file);
    assert.ok(err.message.startsWith(`${file}: `), err.message);
    assert.ok(!err.message.includes('\n'), `not one line: ${err.message}`);
    assert.match(err.problem, problem);
    return true;
  });
}
