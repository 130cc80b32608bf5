/**
 * Fine-tuning from the editor in the real workbench: open a *.m2mix.json, click its "▶ Run"
 * CodeLens, watch the dashboard reach "completed", then check the run folder: run.jsonl's step and
 * eval lines, best.safetensors, and an epoch-0 evaluation (identity heads, before any step) equal
 * to what `embedding-lens analyze --json` prints for the same file.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot } from '../helpers/repoRoot';
import { cspViolations, openVscode, type VscodeHost } from './vscodeHost';
import { cliJson, numericLeaves, soleExplorerSection, withScreenshotOnFailure } from './workbench';

/** One epoch of 3 steps on 500 pairs, and two evaluations, take seconds; the rest is headroom. */
const runTimeoutMs = 90000;
const hookTimeoutMs = 120000;

const runName = 'tiny';
const config = {
  train: 'clip-sample.npy',
  eval: 'clip-sample.npy',
  epochs: 1,
  batchSize: 128,
};

let host: VscodeHost | undefined;
let dir: string | undefined;

before(
  async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'embedding-lens-e2e-finetune-'));
    execFileSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'sample', dir], { stdio: 'ignore' });
    // Written before the workbench opens: a *.m2mix.json is what activates the extension.
    writeFileSync(path.join(dir, `${runName}.m2mix.json`), JSON.stringify(config, null, 2) + '\n');
    host = await openVscode({ folder: dir });
  },
  { timeout: hookTimeoutMs },
);

after(async () => {
  await host?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface LogLine {
  type: string;
  step?: number;
  epoch: number;
  loss?: number | null;
  metrics?: Record<string, unknown>;
}

function readRunLog(runDir: string): LogLine[] {
  const file = path.join(runDir, 'run.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LogLine);
}

test(
  'the Run CodeLens trains, the dashboard completes, epoch 0 matches analyze',
  { timeout: hookTimeoutMs },
  async () => {
    await withScreenshotOnFailure(host, 'e2e-dashboard', async (h) => {
      assert.ok(dir);
      const runDir = path.join(dir, 'runs', runName);
      const expected = cliJson(['analyze', path.join(dir, 'clip-sample.npy'), '--json']);

      // Open the config from the Explorer's folder section, as a user would.
      const files = await soleExplorerSection(h, path.basename(dir), 30000);
      await files
        .locator('.monaco-list-row', { has: h.page.locator('.label-name', { hasText: `${runName}.m2mix.json` }) })
        .click();
      await h.page.locator('.monaco-editor .view-lines', { hasText: '"batchSize"' }).waitFor({ timeout: 30000 });

      // The CodeLens appears once the extension host has registered its provider.
      const run = h.page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Run' });
      await run.waitFor({ timeout: 30000 });
      assert.ok(!existsSync(runDir), `${runDir} exists before the run`);
      await run.click();

      // Any end state, so that a failed run fails the test at once with its message.
      const ended = ['completed', 'cancelled', 'diverged', 'failed'].map((s) => `[data-status="${s}"]`).join(',');
      const frame = await h.frameWith(`#activity:is(${ended}) #status`, runTimeoutMs);
      assert.equal(
        await frame.getAttribute('#activity', 'data-status'),
        'completed',
        `the run ended: ${await frame.textContent('#status')}`,
      );
      assert.match((await frame.textContent('#status')) ?? '', /Completed — 3 steps, 1 epoch\./);

      const log = readRunLog(runDir);
      const steps = log.filter((l) => l.type === 'step');
      const evals = log.filter((l) => l.type === 'eval');
      // 500 pairs in batches of 128: 3 full batches, the remainder dropped.
      assert.deepEqual(
        steps.map((s) => [s.step, s.epoch]),
        [
          [1, 1],
          [2, 1],
          [3, 1],
        ],
        'run.jsonl does not hold the 3 steps of epoch 1',
      );
      for (const s of steps)
        assert.ok(typeof s.loss === 'number' && Number.isFinite(s.loss), `step ${s.step} logged the loss ${s.loss}`);
      assert.deepEqual(
        evals.map((e) => e.epoch),
        [0, 1],
        'run.jsonl does not hold the evaluations of epochs 0 and 1',
      );
      assert.ok(existsSync(path.join(runDir, 'best.safetensors')), 'the run wrote no best.safetensors');

      // Epoch 0 is measured through identity heads, before any step: the file's own metrics.
      const want = numericLeaves(expected);
      const got = numericLeaves(evals[0].metrics);
      for (const key of ['modality_gap', 'uniformity', 'alignment', 'i2t.R@1', 't2i.R@1', 'ece'])
        assert.ok(got.has(key), `the epoch-0 eval has no ${key}`);
      for (const [key, value] of got) {
        // Norms of the head outputs are rounding, not a metric (float32 heads renormalise them).
        if (key.startsWith('input_norms.')) continue;
        assert.ok(want.has(key), `analyze --json has no ${key}, the epoch-0 eval does`);
        assert.ok(
          Math.abs(value - want.get(key)!) <= 1e-6,
          `epoch-0 ${key}: run.jsonl has ${value}, analyze --json ${want.get(key)}`,
        );
      }
      // And training moved the geometry: epoch 1 is not a copy of epoch 0.
      assert.notEqual(
        evals[1].metrics?.alignment,
        evals[0].metrics?.alignment,
        'epoch 1 has the same alignment as epoch 0',
      );

      // The charts draw after the status; wait for a canvas so the screenshot shows them.
      await frame.waitForSelector('[data-chart="loss"] canvas', { timeout: 15000 });
      await h.page.mouse.move(700, 800);
      await h.page.waitForTimeout(1000);
      await h.screenshot('e2e-dashboard');
    });
  },
);

test('no frame reported a Content Security Policy violation', () => {
  assert.ok(host);
  assert.deepEqual(cspViolations(host.console), []);
});
