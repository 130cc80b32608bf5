/** The 'train' job of the built compute worker (dist/worker.js): events stream back, a cancel stops it within a step. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import { generateSample } from '../../../src/core/synthetic/sampleCheckpoint';
import { writeSafetensors } from '../../../src/core/writers';
import type { WorkerReply, WorkerRequest } from '../../../src/protocol/worker';
import { repoRoot } from '../../helpers/repoRoot';

const dir = mkdtempSync(path.join(tmpdir(), 'el-train-worker-'));

function config(name: string, epochs: number): string {
  const file = path.join(dir, `${name}.m2mix.json`);
  writeFileSync(
    file,
    JSON.stringify({ train: 'data.safetensors', eval: 'data.safetensors', epochs, batchSize: 8, lr: 1e-3 }),
  );
  return file;
}

/** Runs one request; `onReply` sees every reply and may act on the cancel flag. */
function run(
  configFile: string,
  onReply: (r: WorkerReply, cancel: Int32Array) => void = () => undefined,
  cancelFirst = false,
): Promise<WorkerReply[]> {
  const worker = new Worker(path.join(repoRoot, 'dist', 'worker.js'), { workerData: { backend: 'wasm' } });
  const cancel = new SharedArrayBuffer(4);
  if (cancelFirst) Atomics.store(new Int32Array(cancel), 0, 1);
  const replies: WorkerReply[] = [];
  return new Promise<WorkerReply[]>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', (r: WorkerReply) => {
      replies.push(r);
      onReply(r, new Int32Array(cancel));
      if (r.type !== 'progress') resolve(replies);
    });
    const req: WorkerRequest = { id: 7, type: 'train', configFile, cancel };
    worker.postMessage(req);
  }).finally(() => void worker.terminate());
}

describe('compute worker: train job', () => {
  before(async () => {
    const s = generateSample({ pairs: 32, dim: 8, seed: 3 });
    await writeSafetensors(path.join(dir, 'data.safetensors'), {
      image_embeds: { shape: [s.image.rows, s.image.cols], dtype: 'F32', data: s.image.data },
      text_embeds: { shape: [s.text.rows, s.text.cols], dtype: 'F32', data: s.text.data },
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('streams every RunEvent as a progress reply, then the summary', async () => {
    const replies = await run(config('full', 2));
    const events = replies.flatMap((r) => (r.type === 'progress' && r.event ? [r.event.type] : []));
    assert.deepEqual(events, [
      'eval',
      'checkpoint',
      'start',
      ...Array(4).fill('step'),
      'eval',
      'checkpoint',
      ...Array(4).fill('step'),
      'eval',
      'checkpoint',
    ]);
    assert.ok(replies.every((r) => r.id === 7));
    const last = replies.at(-1)!;
    assert.equal(last.type, 'trained');
    assert.equal(last.type === 'trained' && last.summary.status, 'completed');
    const fractions = replies.flatMap((r) => (r.type === 'progress' ? [r.fraction] : []));
    assert.equal(fractions.at(-1), 1);
  });

  it('stops at the next step check once the shared flag is set', async () => {
    const steps = (rs: WorkerReply[]) => rs.filter((r) => r.type === 'progress' && r.event?.type === 'step').length;
    const status = (rs: WorkerReply[]) => {
      const last = rs.at(-1)!;
      return last.type === 'trained' ? last.summary.status : last.type;
    };
    // Set before the job starts: it stops while reading or measuring epoch 0, before any step.
    const early = await run(config('cancelled-early', 50), undefined, true);
    assert.deepEqual([steps(early), status(early)], [0, 'cancelled']);
    // Set mid-run (the worker does not wait for the host, so a few more steps may have run).
    const late = await run(
      config('cancelled-late', 50),
      (r, flag) => r.type === 'progress' && r.event?.type === 'step' && r.event.step === 3 && Atomics.store(flag, 0, 1),
    );
    assert.equal(status(late), 'cancelled');
    assert.ok(steps(late) >= 3 && steps(late) < 200, `${steps(late)} steps`);
  });

  it('reports a config error as one error reply', async () => {
    const file = path.join(dir, 'bad.m2mix.json');
    writeFileSync(file, JSON.stringify({ train: 'data.safetensors', eval: 'data.safetensors', tau: 0 }));
    const [reply] = await run(file);
    assert.equal(reply.type, 'error');
    assert.match(reply.type === 'error' ? reply.message : '', /"tau" must be >= 0.0001, got 0/);
  });
});
