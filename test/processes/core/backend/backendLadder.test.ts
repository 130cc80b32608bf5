import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { InputError } from '../../../../src/core/util/errors';
import { analyze } from '../../../../src/core/metrics/analyze';
import type { AnalysisResult } from '../../../../src/core/metrics/types';
import { randomCheckpoint } from '../../../helpers/randomCheckpoint';
import { compiledSource, repoRoot } from '../../../helpers/repoRoot';

/*
 * tfjs keeps one backend per process, so 'auto' runs here (first, before anything else picks one)
 * and 'cpu' in a child process that prints what it chose and what analyze() gave on it.
 */
const installed = (pkg: string) => {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
};
const native = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].filter(installed);

const cpuChild = `
  const { initBackend } = require(${JSON.stringify(compiledSource('core', 'backend', 'backendLadder.js'))});
  const { analyze } = require(${JSON.stringify(compiledSource('core', 'metrics', 'analyze.js'))});
  const { randomCheckpoint } = require(${JSON.stringify(join(repoRoot, 'out', 'test', 'helpers', 'randomCheckpoint.js'))});
  (async () => {
    const choice = await initBackend('cpu');
    const tf = require('@tensorflow/tfjs-core');
    const { result } = await analyze(randomCheckpoint(21, 24, new Array(80).fill(1)));
    process.stdout.write(JSON.stringify({ choice, active: tf.getBackend(), result }));
  })();
`;

describe('backend ladder', () => {
  it(
    "'auto' takes wasm here and says why each native rung was skipped",
    { skip: native.length ? `${native.join(', ')} installed` : false },
    async () => {
      const choice = await initBackend('auto');
      assert.equal(choice.name, 'wasm');
      for (const rung of ['tfjs-node-gpu', 'tfjs-node'])
        assert.ok(
          choice.skipped.some((s) => s.startsWith(`${rung}: @tensorflow/${rung} is not installed`)),
          `${rung} missing from ${JSON.stringify(choice.skipped)}`,
        );
    },
  );

  it(
    "a forced rung that cannot start is the user's input error, naming the rung and why",
    { skip: installed('@tensorflow/tfjs-node-gpu') ? 'tfjs-node-gpu installed' : false },
    async () => {
      await assert.rejects(initBackend('tfjs-node-gpu'), (err: unknown) => {
        assert.ok(err instanceof InputError);
        assert.equal(
          err.message,
          `the tfjs-node-gpu backend: cannot start (@tensorflow/tfjs-node-gpu is not installed: npm install @tensorflow/tfjs-node-gpu@4.22.0 in the extension's folder, or put it on NODE_PATH); choose another, or auto`,
        );
        return true;
      });
    },
  );

  it("forcing 'cpu' gives cpu, and analyze on cpu equals wasm to 1e-5", async () => {
    const out = JSON.parse(execFileSync(process.execPath, ['-e', cpuChild], { encoding: 'utf8' })) as {
      choice: { name: string; skipped: string[] };
      active: string;
      result: AnalysisResult;
    };
    assert.deepEqual(out.choice, { name: 'cpu', skipped: [] });
    assert.equal(out.active, 'cpu');
    await initBackend('wasm');
    const { result } = await analyze(randomCheckpoint(21, 24, new Array(80).fill(1)));
    for (const key of Object.keys(result) as (keyof AnalysisResult)[]) {
      const [a, b] = [result[key], out.result[key]];
      if (typeof a === 'number') assert.ok(Math.abs(a - (b as number)) <= 1e-5, `${key}: wasm ${a}, cpu ${String(b)}`);
    }
    assert.deepEqual(out.result.i2t, result.i2t);
    assert.deepEqual(out.result.t2i, result.t2i);
    assert.deepEqual(out.result.input_norms, result.input_norms);
  });
});
