/** The 'dosnes' job of the built compute worker (dist/worker.js): it lays out the input an analysis returned, in any worker. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import { generateSample } from '../../../src/core/synthetic/sampleCheckpoint';
import { writeNpy } from '../../../src/core/writers';
import { isRetrievalSnapshot, type DosnesLayout } from '../../../src/protocol/analysisPanel';
import type { WorkerReply, WorkerRequest } from '../../../src/protocol/worker';
import { repoRoot } from '../../helpers/repoRoot';
import { testAnalyzeSettings } from '../../helpers/analyzeSettings';

const dir = mkdtempSync(path.join(tmpdir(), 'el-dosnes-worker-'));
const file = path.join(dir, 'pairs.npy');
const pairs = 300;
const settings = testAnalyzeSettings;

type Request = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id' | 'cancel'> : never) : never;

/** Sends the requests in turn to one worker; each resolves to its replies, the last one final. */
async function session(requests: Request[], cancelAfterProgress = false): Promise<WorkerReply[][]> {
  const worker = new Worker(path.join(repoRoot, 'dist', 'worker.js'), { workerData: { backend: 'wasm' } });
  const out: WorkerReply[][] = [];
  try {
    for (const [i, r] of requests.entries()) {
      const cancel = new SharedArrayBuffer(4);
      out.push(
        await new Promise<WorkerReply[]>((resolve, reject) => {
          const replies: WorkerReply[] = [];
          const onMessage = (m: WorkerReply) => {
            if (m.id !== i) return;
            replies.push(m);
            if (m.type === 'progress' && cancelAfterProgress) Atomics.store(new Int32Array(cancel), 0, 1);
            if (m.type !== 'progress') {
              worker.off('message', onMessage);
              resolve(replies);
            }
          };
          worker.on('message', onMessage);
          worker.once('error', reject);
          worker.postMessage({ ...r, id: i, cancel } as WorkerRequest);
        }),
      );
    }
  } finally {
    await worker.terminate();
  }
  return out;
}

function layoutOf(replies: WorkerReply[]): DosnesLayout {
  const last = replies.at(-1)!;
  assert.equal(last.type, 'dosnes', JSON.stringify(last).slice(0, 200));
  return (last as Extract<WorkerReply, { type: 'dosnes' }>).layout;
}

describe('compute worker: dosnes job', () => {
  before(async () => {
    const s = generateSample({ pairs, dim: 32, seed: 4 });
    const both = new Float32Array(2 * pairs * 32);
    both.set(s.image.data);
    both.set(s.text.data, pairs * 32);
    await writeNpy(file, [2, pairs, 32], both);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lays out the analysed pairs on the sphere, and the same again in a fresh worker', async () => {
    const [analysis] = await session([{ type: 'analyze', files: [file], settings }]);
    const reply = analysis.at(-1)!;
    assert.ok(
      reply.type === 'analysis' && isRetrievalSnapshot(reply.snapshot) && reply.snapshot.sphere.dosnes === undefined,
      'the analysis leaves DOSNES to the toggle',
    );
    const input = reply.dosnes!;
    assert.equal(input.pairs, pairs);
    const [first] = await session([{ type: 'dosnes', input }]);
    const [fresh] = await session([{ type: 'dosnes', input }]);
    const layout = layoutOf(first);
    assert.equal(layout.dosnesPairs, pairs);
    assert.equal(layout.image.length, 3 * pairs);
    for (const xyz of [layout.image, layout.text])
      for (let i = 0; i < xyz.length; i += 3)
        assert.ok(Math.abs(Math.hypot(xyz[i], xyz[i + 1], xyz[i + 2]) - 1) < 1e-6);
    const fractions = first.flatMap((r) => (r.type === 'progress' ? [r.fraction] : []));
    assert.ok(fractions.length > 3 && fractions.every((f, i) => i === 0 || f >= fractions[i - 1]), 'progress climbs');
    assert.deepEqual(layoutOf(fresh), layout, 'seeded: the same layout');
  });

  it('stops when cancelled', async () => {
    const [analysis] = await session([{ type: 'analyze', files: [file], settings }]);
    const input = (analysis.at(-1) as Extract<WorkerReply, { type: 'analysis' }>).dosnes!;
    const [cancelled] = await session([{ type: 'dosnes', input }], true);
    assert.equal(cancelled.at(-1)?.type, 'cancelled');
  });
});
