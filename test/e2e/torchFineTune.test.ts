/**
 * The torch engine from the editor in the real workbench: a *.m2mix.json with "engine": "torch" and
 * "model": "heads", the interpreter named by embeddingLens.pythonPath in the workspace settings,
 * its "▶ Run" CodeLens clicked; the dashboard must reach "completed" naming the engine, and the run
 * folder hold run.jsonl and epoch-1.safetensors written by the Python engine. Then Analyze
 * Embeddings with embeddingLens.analysisEngine "torch": the panel names the engine's device and
 * shows the tfjs engine's figures.
 *
 * Needs EMBEDDING_LENS_TEST_PYTHON, an interpreter with torch (scripts/setup-python.sh prints one);
 * skipped with the reason printed when it is unset.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot } from '../helpers/repoRoot';
import { cspViolations, openVscode, type VscodeHost } from './vscodeHost';
import { accept, analyzeThroughPalette, numberAt, soleExplorerSection, withScreenshotOnFailure } from './workbench';

const python = process.env.EMBEDDING_LENS_TEST_PYTHON;
const skip = python
  ? false
  : 'EMBEDDING_LENS_TEST_PYTHON is unset: no interpreter with torch to run the torch engine (scripts/setup-python.sh prints one)';
if (skip) process.stdout.write(`torchFineTune: skipped: ${skip}\n`);

/** Importing torch (~3 s), epoch 0, 3 steps and epoch 1 on 500 pairs: seconds; the rest is headroom. */
const runTimeoutMs = 120000;
const hookTimeoutMs = 150000;

const runName = 'torch-heads';
const config = {
  train: 'clip-sample.npy',
  eval: 'clip-sample.npy',
  engine: 'torch',
  model: 'heads',
  epochs: 1,
  batchSize: 128,
  workers: 0,
};

let host: VscodeHost | undefined;
let dir: string | undefined;

before(
  async () => {
    if (skip) return;
    dir = mkdtempSync(path.join(os.tmpdir(), 'embedding-lens-e2e-torch-'));
    execFileSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'sample', dir], { stdio: 'ignore' });
    mkdirSync(path.join(dir, '.vscode'));
    writeFileSync(
      path.join(dir, '.vscode', 'settings.json'),
      JSON.stringify({ 'embeddingLens.pythonPath': python, 'embeddingLens.analysisEngine': 'torch' }, null, 2),
    );
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

test(
  'the Run CodeLens trains on the torch engine and the dashboard completes',
  { skip, timeout: hookTimeoutMs },
  async () => {
    await withScreenshotOnFailure(host, 'e2e-torch-dashboard', async (h) => {
      assert.ok(dir);
      const runDir = path.join(dir, 'runs', runName);

      const files = await soleExplorerSection(h, path.basename(dir), 30000);
      await files
        .locator('.monaco-list-row', { has: h.page.locator('.label-name', { hasText: `${runName}.m2mix.json` }) })
        .click();
      await h.page.locator('.monaco-editor .view-lines', { hasText: '"engine"' }).waitFor({ timeout: 30000 });

      // A torch config gets the launch lenses beside Run; their presence says the provider read it as one.
      await h.page
        .locator('.monaco-editor .codelens-decoration a', { hasText: 'Copy launch command' })
        .waitFor({ timeout: 30000 });
      const run = h.page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Run' });
      assert.ok(!existsSync(runDir), `${runDir} exists before the run`);
      await run.click();

      const ended = ['completed', 'cancelled', 'diverged', 'failed'].map((s) => `[data-status="${s}"]`).join(',');
      const frame = await h.frameWith(`#activity:is(${ended}) #status`, runTimeoutMs);
      assert.equal(
        await frame.getAttribute('#activity', 'data-status'),
        'completed',
        `the run ended: ${await frame.textContent('#status')}`,
      );
      assert.match((await frame.textContent('#status')) ?? '', /Completed — 3 steps, 1 epoch\./);
      const facts = (await frame.textContent('#facts')) ?? '';
      assert.match(facts, /Enginetorch on CPU \(\d+ threads?\)/, `the facts do not name the engine: ${facts}`);
      assert.match(facts, /Ranks1/, `the facts do not give the ranks: ${facts}`);
      assert.match(facts, /Samples\/s[\d,]+/, `the facts do not give samples/s: ${facts}`);

      const log = readFileSync(path.join(runDir, 'run.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as { type: string; step?: number; epoch: number });
      assert.deepEqual(
        log.filter((l) => l.type === 'step').map((s) => [s.step, s.epoch]),
        [
          [1, 1],
          [2, 1],
          [3, 1],
        ],
        'run.jsonl does not hold the 3 steps of epoch 1',
      );
      assert.deepEqual(
        log.filter((l) => l.type === 'eval').map((e) => e.epoch),
        [0, 1],
        'run.jsonl does not hold the evaluations of epochs 0 and 1',
      );
      assert.ok(existsSync(path.join(runDir, 'epoch-1.safetensors')), 'the run wrote no epoch-1.safetensors');

      await frame.waitForSelector('[data-chart="loss"] canvas', { timeout: 15000 });
      // The CodeLens goes back from Cancel to Run once the run has ended.
      await h.page.locator('.monaco-editor .codelens-decoration a', { hasText: '▶ Run' }).waitFor({ timeout: 15000 });
      await h.screenshot('e2e-torch-dashboard');

      // Show Compute Backend names the interpreter the run used, with its torch.
      await h.page.keyboard.press('F1');
      await accept(h, 'Embedding Lens: Show Compute Backend', 'Show Compute Backend', 15000);
      const toast = h.page.locator('.notification-toast', { hasText: 'Torch engine: torch' });
      await toast.waitFor({ timeout: 60000 });
      const text = (await toast.textContent()) ?? '';
      assert.ok(text.includes(`(${python})`), `the notification does not name ${python}: ${text}`);
      assert.match(text, /interpreter from embeddingLens\.pythonPath/);
    });
  },
);

test(
  'Analyze Embeddings runs on the torch engine when the setting says torch',
  { skip, timeout: hookTimeoutMs },
  async () => {
    await withScreenshotOnFailure(host, 'e2e-torch-analysis', async (h) => {
      assert.ok(dir);
      const file = path.join(dir, 'clip-sample.npy');
      const cli = path.join(repoRoot, 'dist', 'cli.js');
      const tfjs = JSON.parse(
        execFileSync(process.execPath, [cli, 'analyze', file, '--engine', 'tfjs', '--json'], { encoding: 'utf8' }),
      ) as unknown;
      await analyzeThroughPalette(h, file);
      const frame = await h.frameWith('[data-metric="modality_gap"][data-value]', runTimeoutMs);
      const backend = await frame.locator('.fact', { hasText: 'Backend' }).locator('dd').textContent();
      assert.equal(backend, 'torch cpu');
      // R@1 moves by 100 / 500 per query whose near-tie the two engines' products round apart.
      for (const [key, tol] of [
        ['modality_gap', 1e-4],
        ['uniformity', 1e-4],
        ['i2t.R@1', 0.2 + 1e-9],
      ] as const) {
        const shown = Number(await frame.getAttribute(`[data-metric="${key}"]`, 'data-value', { timeout: 5000 }));
        const want = numberAt(tfjs, key, "the tfjs engine's JSON");
        assert.ok(Math.abs(shown - want) <= tol, `${key}: the torch panel shows ${shown}, tfjs gives ${want}`);
      }
    });
  },
);

test('no frame reported a Content Security Policy violation', { skip }, () => {
  assert.ok(host);
  assert.deepEqual(cspViolations(host.console), []);
});
