/**
 * The analysis panel's job on the torch engine: the built compute worker (dist/worker.js) given
 * `torch` runs the metric pass in python/embedding_lens and builds the same snapshot as on tfjs
 * (metrics, histograms and reliability bins to 1e-4, the projections identical), names the engine's
 * device, stops the engine on Cancel, and reports the engine's input errors in one line. Runs where
 * EMBEDDING_LENS_TEST_PYTHON names an interpreter with torch; skipped, saying why, elsewhere.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import type { TorchAnalysisEngine as Engine } from '../../../src/core/analysis/analyzeFilesOnTorch';
import { isRetrievalSnapshot, type AnalysisSnapshot } from '../../../src/protocol/analysisPanel';
import type { WorkerReply, WorkerRequest } from '../../../src/protocol/worker';
import { repoRoot } from '../../helpers/repoRoot';
import { writeSampleCaptionsSafetensors, writeSamplePairsNpy } from '../../helpers/samplePairsNpy';
import { torchEngineOrSkipReason } from '../../helpers/torchEngine';
import { testAnalyzeSettings } from '../../helpers/analyzeSettings';
import { generateSample } from '../../../src/core/synthetic/sampleCheckpoint';
import { writeNpz, writeSafetensors } from '../../../src/core/writers';
import { maxDosnesPairs } from '../../../src/snapshots/analysis/analysisSnapshot';
import { fixtureDim, fixtureSet } from '../../helpers/classificationFixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'el-worker-analyze-torch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const settings = testAnalyzeSettings;

type Job = Extract<WorkerRequest, { type: 'analyze' } | { type: 'compare' } | { type: 'dosnes' }>;
/** A job as the test states it: the id and the cancel flag are the session's. */
type JobRequest = Job extends infer R ? (R extends Job ? Omit<R, 'id' | 'cancel'> : never) : never;

/** One job on a fresh worker; `cancelAfterProgress` sets the cancel flag at the first progress. */
async function workerJob(job: JobRequest, cancelAfterProgress = false): Promise<WorkerReply[]> {
  const worker = new Worker(path.join(repoRoot, 'dist', 'worker.js'), { workerData: { backend: 'wasm' } });
  const cancel = new SharedArrayBuffer(4);
  try {
    return await new Promise<WorkerReply[]>((resolve, reject) => {
      const replies: WorkerReply[] = [];
      worker.on('message', (m: WorkerReply) => {
        replies.push(m);
        if (m.type === 'progress' && cancelAfterProgress) Atomics.store(new Int32Array(cancel), 0, 1);
        if (m.type !== 'progress') resolve(replies);
      });
      worker.once('error', reject);
      worker.postMessage({ ...job, id: 1, cancel } as Job);
    });
  } finally {
    await worker.terminate();
  }
}

const analyzeJob = (files: string[], torch: Engine | undefined, cancelAfterProgress = false) =>
  workerJob({ type: 'analyze', files, settings, torch }, cancelAfterProgress);

/** Processes whose command line names `text` (Linux's /proc; none elsewhere). */
function processesNaming(text: string): string[] {
  if (process.platform !== 'linux') return [];
  const commandLine = (pid: string) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      return '';
    }
  };
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid) && commandLine(pid).includes(text))
    .map(commandLine);
}

function snapshotOf(replies: WorkerReply[]): AnalysisSnapshot {
  const last = replies.at(-1)!;
  assert.equal(last.type, 'analysis', JSON.stringify(last).slice(0, 500));
  const snapshot = (last as Extract<WorkerReply, { type: 'analysis' }>).snapshot;
  assert.ok(isRetrievalSnapshot(snapshot));
  return snapshot;
}

/**
 * Every number of `tfjs` in `torch` within `tol`, with the same keys. Where two similarities lie
 * within float32 rounding of each other (these random sets have such near-ties), the two engines'
 * products may order them differently: retrieval figures may then move by two queries' worth
 * (`retrievalTol`), and a histogram count by `countTol` at a bin edge.
 */
function assertSameSnapshot(
  torch: unknown,
  tfjs: unknown,
  tolerances: { tol: number; retrievalTol: number; countTol: number },
  where = 'snapshot',
): void {
  if (typeof tfjs === 'number') {
    const { tol, retrievalTol, countTol } = tolerances;
    const limit = /histogram\.(positive|hardestNegative)/.test(where)
      ? countTol
      : /metrics\.(i2t|t2i)\./.test(where)
        ? retrievalTol
        : tol;
    assert.ok(Math.abs((torch as number) - tfjs) <= limit, `${where}: torch ${String(torch)}, tfjs ${tfjs}`);
    return;
  }
  if (tfjs === null || typeof tfjs !== 'object') {
    assert.deepEqual(torch, tfjs, where);
    return;
  }
  const keys = (o: object) => Object.keys(o).sort();
  assert.deepEqual(keys(torch as object), keys(tfjs), `keys of ${where}`);
  for (const [key, value] of Object.entries(tfjs))
    assertSameSnapshot((torch as Record<string, unknown>)[key], value, tolerances, `${where}.${key}`);
}

describe('the analysis job on the torch engine', () => {
  let skip: string | false = false;
  let engine: Engine | undefined;
  before(async () => {
    const found = await torchEngineOrSkipReason();
    if (typeof found === 'string') {
      skip = found;
      process.stdout.write(`# skipping the worker's torch analysis tests: ${skip}\n`);
    } else engine = found;
  });

  /** The snapshot's parts both engines build alike; the rest names how it ran. */
  const comparable = ({ backend: _b, seconds: _s, ...rest }: AnalysisSnapshot) => rest;

  it('builds the tfjs snapshot from the engine per-query arrays, and names its device', async (t) => {
    if (skip) return t.skip(skip);
    const file = path.join(dir, 'pairs.npy');
    await writeSamplePairsNpy(file, 1_500, 32, 11);
    const tfjs = snapshotOf(await analyzeJob([file], undefined));
    const replies = await analyzeJob([file], engine);
    const torch = snapshotOf(replies);
    assert.equal(torch.backend, 'torch cpu');
    assert.equal(tfjs.backend, 'wasm');
    assert.ok(replies.some((r) => r.type === 'progress' && r.message === 'analysing on the torch engine'));
    assertSameSnapshot(comparable(torch), comparable(tfjs), { tol: 1e-4, retrievalTol: 200 / 1_500, countTol: 2 });
  });

  it('with several captions per image', async (t) => {
    if (skip) return t.skip(skip);
    const file = path.join(dir, 'captions.safetensors');
    writeSampleCaptionsSafetensors(file, { pairs: 500, dim: 24, seed: 12, captionsPerImage: 3 });
    const tfjs = snapshotOf(await analyzeJob([file], undefined));
    const torch = snapshotOf(await analyzeJob([file], engine));
    assert.equal(torch.metrics.n_text, 1_500);
    assertSameSnapshot(comparable(torch), comparable(tfjs), { tol: 1e-4, retrievalTol: 200 / 1_500, countTol: 2 });
  });

  it("reads the checkpoint once, in the engine: an .npz over the readers' memory budget still gets its views, DOSNES's too", async (t) => {
    if (skip) return t.skip(skip);
    const file = path.join(dir, 'over-budget.npz');
    const { image, text } = generateSample({ pairs: 6_000, dim: 64, seed: 17 });
    // Classes too: their zero-shot pass needs the images, which only the engine can read here.
    const classes = 10;
    await writeNpz(file, {
      image_embeds: { shape: [image.rows, image.cols], data: image.data },
      text_embeds: { shape: [text.rows, text.cols], data: text.data },
      labels: {
        shape: [image.rows],
        data: Int32Array.from({ length: image.rows }, (_, i) => i % classes),
        dtype: 'int64',
      },
      class_embeds: { shape: [classes, image.cols], data: text.data.slice(0, classes * image.cols) },
    });
    // Each member holds 1.5 MiB: the tfjs readers refuse it under a 1 MiB budget, as they would a zip bomb.
    const tight = { ...settings, memoryBudgetMB: 1 };
    const refused = (await workerJob({ type: 'analyze', files: [file], settings: tight })).at(-1)!;
    assert.equal(refused.type, 'error', 'the tfjs readers refuse the file');
    const replies = await workerJob({ type: 'analyze', files: [file], settings: tight, torch: engine });
    const torch = snapshotOf(replies);
    assert.equal(torch.metrics.n_text, 6_000);
    assert.equal(torch.scatter.shown, 6_000);
    assert.equal(torch.temperature.total, 6_000);
    assert.ok(torch.temperature.queries >= 200);
    assert.equal(torch.zeroShot?.result.n, 6_000);
    assert.deepEqual(torch.zeroShot.detail.perClassCount, Array<number>(classes).fill(600));
    // The sphere's DOSNES toggle, later, in a worker that never saw the file (the host keeps its input).
    const input = (replies.at(-1) as Extract<WorkerReply, { type: 'analysis' }>).dosnes;
    assert.ok(input, 'the analysis returns what DOSNES lays out');
    const laidOut = (await workerJob({ type: 'dosnes', input })).at(-1)!;
    assert.equal(laidOut.type, 'dosnes', JSON.stringify(laidOut).slice(0, 300));
    assert.equal((laidOut as Extract<WorkerReply, { type: 'dosnes' }>).layout.dosnesPairs, maxDosnesPairs);
  });

  it('a file of pairs with named classes: the zero-shot sections from the engine, as on tfjs', async (t) => {
    if (skip) return t.skip(skip);
    const file = path.join(dir, 'pairs-and-classes.safetensors');
    const set = fixtureSet(240, 5);
    const texts = fixtureSet(240, 6).image;
    const names = Array.from({ length: set.classes }, (_, c) => (c % 2 ? `café ${c}` : `日本 ${c}`));
    await writeSafetensors(
      file,
      {
        image_embeds: { shape: [set.image.rows, fixtureDim], dtype: 'F32', data: set.image.data },
        text_embeds: { shape: [texts.rows, fixtureDim], dtype: 'F32', data: texts.data },
        labels: { shape: [set.labels.length], dtype: 'I64', data: set.labels },
        class_embeds: { shape: [set.classes, set.prompts, fixtureDim], dtype: 'F32', data: set.classEmbeds },
      },
      { class_names: JSON.stringify(names) },
    );
    const tfjs = snapshotOf(await analyzeJob([file], undefined));
    const torch = snapshotOf(await analyzeJob([file], engine));
    assert.deepEqual(torch.zeroShot?.detail.classNames, names);
    assertSameSnapshot(comparable(torch), comparable(tfjs), { tol: 1e-4, retrievalTol: 2 / 240, countTol: 2 });
  });

  it("keeps the checkpoint's metadata: a run checkpoint's geodesic arcs as on tfjs", async (t) => {
    if (skip) return t.skip(skip);
    const file = path.join(dir, 'run-epoch1.safetensors');
    const { image, text } = generateSample({ pairs: 300, dim: 16, seed: 18 });
    await writeSafetensors(
      file,
      {
        image_embeds: { shape: [image.rows, image.cols], dtype: 'F32', data: image.data },
        text_embeds: { shape: [text.rows, text.cols], dtype: 'F32', data: text.data },
      },
      { config: JSON.stringify({ beta: 2, seed: 9 }), lambda: JSON.stringify({ m2mix: 0.25 }) },
    );
    const tfjs = snapshotOf(await analyzeJob([file], undefined));
    const torch = snapshotOf(await analyzeJob([file], engine));
    assert.equal(torch.sphere.arcs?.lambda, 0.25);
    assertSameSnapshot(comparable(torch), comparable(tfjs), { tol: 1e-4, retrievalTol: 2 / 300, countTol: 2 });
  });

  it('compares checkpoints on the engine', async (t) => {
    if (skip) return t.skip(skip);
    const [a, b] = [path.join(dir, 'a.npy'), path.join(dir, 'b.npy')];
    await writeSamplePairsNpy(a, 400, 16, 15);
    await writeSamplePairsNpy(b, 400, 16, 16);
    const last = (await workerJob({ type: 'compare', checkpoints: [[a], [b]], settings, torch: engine })).at(-1)!;
    assert.equal(last.type, 'comparison', JSON.stringify(last).slice(0, 300));
    const data = (last as Extract<WorkerReply, { type: 'comparison' }>).data;
    assert.ok(!('suites' in data));
    assert.equal(data.backend, 'torch cpu');
    assert.deepEqual(
      data.checkpoints.map((c) => c.result.n_image),
      [400, 400],
    );
    // Every query's rank change counted from the engine's ranks, against either baseline.
    for (const tables of data.rankChanges ?? assert.fail('no rank changes for the same pairs'))
      for (const t of [tables.i2t, tables.t2i])
        assert.deepEqual(
          t.improved.map((up, c) => up + t.worsened[c] + t.unchanged[c]),
          [400, 400],
        );
  });

  it('stops the engine on Cancel', async (t) => {
    if (skip) return t.skip(skip);
    const file = path.join(dir, 'large.npy');
    await writeSamplePairsNpy(file, 20_000, 64, 13);
    const started = performance.now();
    const replies = await analyzeJob([file], engine, true);
    assert.equal(replies.at(-1)!.type, 'cancelled');
    // The job ends only once the engine has exited.
    assert.deepEqual(processesNaming(file), []);
    // The pass alone takes several seconds here; a cancel is honoured at the next row block.
    assert.ok(performance.now() - started < 30_000);
  });

  it("reports the engine's input error in one line naming the file", async (t) => {
    if (skip) return t.skip(skip);
    const file = path.join(dir, 'truncated.npy');
    await writeSamplePairsNpy(file, 100, 8, 14);
    truncateSync(file, statSync(file).size - 64);
    const last = (await analyzeJob([file], engine)).at(-1)!;
    assert.equal(last.type, 'error');
    const error = last as Extract<WorkerReply, { type: 'error' }>;
    assert.equal(error.input?.file, file);
    assert.doesNotMatch(error.message, /\n|Traceback/);
  });
});
