/**
 * `embedding-lens train` on the real torch engine (python/embedding_lens) with "model": "heads" on
 * generated pairs: one rank, two gloo ranks on the CPU, and Ctrl-C. Runs where
 * EMBEDDING_LENS_TEST_PYTHON names an interpreter with torch (scripts/setup-python.sh prints one);
 * skipped, saying why, elsewhere.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StepEvent } from '../../../src/core/train/events';
import { torchEngineSkipReason, torchEnginePython } from '../../helpers/torchEngine';
import { writeSamplePairsNpy } from '../../helpers/samplePairsNpy';
import { repoRoot } from '../../helpers/repoRoot';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const python = torchEnginePython;

const dir = mkdtempSync(path.join(tmpdir(), 'el-cli-torch-real-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function train(args: string[], onStdout?: (all: string, child: ReturnType<typeof spawn>) => void): Promise<Ran> {
  const child = spawn(process.execPath, [cli, 'train', ...args, '--python', python!, '--json'], {
    // The package beside dist/, as in the .vsix, not an override left in the environment.
    env: { ...process.env, EMBEDDING_LENS_PYTHON_PACKAGE: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    onStdout?.(stdout, child);
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const events = (r: Ran) =>
  r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; status?: string });
const steps = (r: Ran) => events(r).filter((e): e is StepEvent & { type: 'step' } => e.type === 'step');

describe('embedding-lens train on the torch engine', async () => {
  const skip = await torchEngineSkipReason();
  if (skip) process.stdout.write(`# torch engine tests skipped: ${skip}\n`);
  const config = path.join(dir, 'heads.m2mix.json');

  before(async () => {
    if (skip) return;
    await writeSamplePairsNpy(path.join(dir, 'train.npy'), 512, 64, 5);
    await writeSamplePairsNpy(path.join(dir, 'eval.npy'), 128, 64, 6);
    writeFileSync(
      config,
      JSON.stringify({
        train: 'train.npy',
        eval: 'eval.npy',
        engine: 'torch',
        model: 'heads',
        loss: 'm3mix',
        epochs: 2,
        batchSize: 64,
        seed: 1,
      }),
    );
  });

  it('trains heads on one rank and on two gloo ranks, to the same losses', { skip, timeout: 240_000 }, async () => {
    const one = await train([config, '--name', 'one']);
    assert.equal(one.code, 0, one.stderr);
    const two = await train([config, '--name', 'two', '--devices', '2']);
    assert.equal(two.code, 0, two.stderr);
    for (const r of [one, two]) assert.equal(events(r).at(-1)!.status, 'completed');
    const [a, b] = [steps(one), steps(two)];
    assert.equal(a.length, 16);
    assert.deepEqual([a[0].ranks, b[0].ranks], [1, 2]);
    for (let i = 0; i < a.length; i++)
      assert.ok(Math.abs(a[i].loss - b[i].loss) < 1e-5, `step ${i + 1}: ${a[i].loss} on 1 rank, ${b[i].loss} on 2`);
    for (const name of ['one', 'two']) assert.ok(existsSync(path.join(dir, 'runs', name, 'best.safetensors')));
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(
      `${signal === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} stops the ranks at a step boundary: exit 130, a cancelled summary, no partial file`,
      { skip, timeout: 240_000 },
      async () => {
        const name = signal.toLowerCase();
        let sent = false;
        const r = await train([config, '--name', name, '--devices', '2', '--epochs', '1000'], (all, child) => {
          if (!sent && all.includes('"type":"step"')) {
            sent = true;
            child.kill(signal);
          }
        });
        assert.equal(r.code, 130, r.stderr);
        assert.equal(events(r).at(-1)!.status, 'cancelled');
        assert.match(r.stderr, /^embedding-lens: cancelled/m);
        // Files are written to .NAME.PID.HEX.tmp and renamed (python/embedding_lens/tensorfile.py).
        const partial = readdirSync(path.join(dir, 'runs', name)).filter((n) => n.endsWith('.tmp'));
        assert.deepEqual(partial, [], 'no partial file in the run folder');
      },
    );
  }
});
