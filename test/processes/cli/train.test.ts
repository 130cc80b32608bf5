/** `embedding-lens train` as a user runs it: the built CLI in its own process, stopped by SIGINT. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import { generateSample } from '../../../src/core/synthetic/sampleCheckpoint';
import { writeNpy } from '../../../src/core/writers';
import { repoRoot } from '../../helpers/repoRoot';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const dir = mkdtempSync(path.join(tmpdir(), 'el-cli-train-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const pairs = 2048;
const data = path.join(dir, 'pairs.npy');

before(async () => {
  const { image, text } = generateSample({ pairs, dim: 256, seed: 4 });
  const both = new Float32Array(2 * pairs * 256);
  both.set(image.data);
  both.set(text.data, pairs * 256);
  await writeNpy(data, [2, pairs, 256], both);
});

it('Ctrl-C during a long step stops it before its update (the run is in a worker, so the signal lands at once)', async () => {
  // One step of the whole set: about 2 s on wasm, during which the main thread must stay free.
  const child = spawn(process.execPath, [
    cli,
    'train',
    '--train',
    data,
    '--eval',
    data,
    '--out',
    dir,
    '--name',
    'sigint',
    '--backend',
    'wasm',
    '--epochs',
    '1',
    '--batch-size',
    String(pairs),
    '--json',
  ]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // best.safetensors comes last before the first step starts.
  const best = path.join(dir, 'sigint', 'best.safetensors');
  while (!existsSync(best)) {
    if (child.exitCode !== null) assert.fail(`the run ended before its first step: ${stderr}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    type: string;
    status: string;
    steps: number;
    message: string;
  };
  assert.deepEqual(
    [summary.type, summary.status, summary.steps],
    ['summary', 'cancelled', 0],
    'the first step was stopped, not finished',
  );
  assert.equal(stderr, 'embedding-lens: cancelled at step 1; the last checkpoint is epoch-0.safetensors\n');
});
