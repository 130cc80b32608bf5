import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/backend';
import { InputError } from '../../src/core/errors';
import { analyze } from '../../src/core/metrics/analyze';
import { readCheckpoint } from '../../src/core/readers';
import { generateSample } from '../../src/core/sample';
import { parseConfig, type TrainConfig } from '../../src/core/train/config';
import type { EvalEvent, LoggedEvent, StepEvent } from '../../src/core/train/events';
import { train } from '../../src/core/train/trainer';
import { writeSafetensors } from '../../src/core/writers';
import { sharedDataDir, sharedDataSkip } from '../helpers/sharedData';

const dir = mkdtempSync(path.join(tmpdir(), 'el-train-'));
const pairs = 64;
const batch = 16;
const stepsPerEpoch = pairs / batch;

async function writeSet(file: string, seed: number): Promise<void> {
  const s = generateSample({ pairs, dim: 16, seed });
  await writeSafetensors(file, {
    image_embeds: { shape: [s.image.rows, s.image.cols], dtype: 'F32', data: s.image.data },
    text_embeds: { shape: [s.text.rows, s.text.cols], dtype: 'F32', data: s.text.data },
  });
}

function config(name: string, extra: Record<string, unknown> = {}): TrainConfig {
  return parseConfig({ train: 'train.safetensors', eval: 'eval.safetensors', out: 'runs', name, loss: 'm3mix', epochs: 2, batchSize: batch, lr: 1e-2, ...extra }, 'test', {
    baseDir: dir,
    defaultName: 'run',
  });
}

function log(name: string): LoggedEvent[] {
  return readFileSync(path.join(dir, 'runs', name, 'run.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as LoggedEvent);
}
const steps = (events: LoggedEvent[]): StepEvent[] => events.filter((e): e is StepEvent => e.type === 'step');
const runFile = (name: string, file: string): string => path.join(dir, 'runs', name, file);

describe('train (end to end on synthetic embeddings)', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));
  before(async () => {
    await initBackend('wasm');
    await writeSet(path.join(dir, 'train.safetensors'), 1);
    await writeSet(path.join(dir, 'eval.safetensors'), 2);
  });

  it('logs every step and evaluation and writes a checkpoint per epoch plus the best, and leaves no tensor behind', async () => {
    const tensors = tf.memory().numTensors;
    const summary = await train(config('full'));
    assert.equal(summary.status, 'completed');
    assert.equal(tf.memory().numTensors, tensors, 'tensors left after the run (a worker runs job after job)');
    const events = log('full');
    assert.deepEqual(
      events.map((e) => `${e.type}${e.epoch}`),
      ['eval0', ...Array(stepsPerEpoch).fill('step1'), 'eval1', ...Array(stepsPerEpoch).fill('step2'), 'eval2'],
    );
    steps(events).forEach((s, i) => {
      assert.equal(s.step, i + 1);
      assert.deepEqual(Object.keys(s.components).sort(), ['clip', 'lmix', 'm2mix', 'vlmix', 'vmix']);
      assert.deepEqual(Object.keys(s.lambda).sort(), ['lmix', 'm2mix', 'vlmix', 'vmix']);
      assert.ok(Number.isFinite(s.loss) && s.lr > 0);
    });
    for (const f of ['epoch-0.safetensors', 'epoch-1.safetensors', 'epoch-2.safetensors', 'best.safetensors']) assert.ok(existsSync(runFile('full', f)), f);
    assert.ok(summary.bestEpoch >= 0 && summary.bestEpoch <= 2);
  });

  it('epoch 0 reproduces the input metrics (identity heads), and a checkpoint re-analyses to its logged metrics', async () => {
    const events = log('full').filter((e): e is EvalEvent => e.type === 'eval');
    const input = (await analyze(await readCheckpoint([path.join(dir, 'eval.safetensors')]))).result;
    for (const key of ['alignment', 'uniformity', 'modality_gap', 'hardest_negative_alignment_i2t'] as const) {
      assert.ok(Math.abs(events[0].metrics[key] - input[key]) < 1e-5, key);
    }
    assert.deepEqual(events[0].metrics.i2t, input.i2t);
    const saved = (await analyze(await readCheckpoint([runFile('full', 'epoch-2.safetensors')]))).result;
    assert.ok(Math.abs(saved.alignment - events[2].metrics.alignment) < 1e-6);
    assert.notEqual(events[2].metrics.alignment, events[0].metrics.alignment);
  });

  it('repeats bit for bit with the same seed', async () => {
    await train(config('again'));
    assert.deepEqual(steps(log('again')), steps(log('full')));
  });

  it('stops after the step in flight at a cancel, and a resume continues exactly like the uninterrupted run', async () => {
    let seen = 0;
    const token = { isCancellationRequested: false };
    const cancelled = await train(config('resumed'), {
      token,
      onEvent: (e) => {
        if (e.type === 'step' && ++seen === stepsPerEpoch + 2) token.isCancellationRequested = true;
      },
    });
    assert.equal(cancelled.status, 'cancelled');
    // Step stepsPerEpoch + 3 was queued before step stepsPerEpoch + 2 was read back; it ran, so it is logged.
    assert.equal(steps(log('resumed')).length, stepsPerEpoch + 3);
    assert.equal(cancelled.steps, stepsPerEpoch + 3);
    assert.ok(!existsSync(runFile('resumed', 'epoch-2.safetensors')));
    const resumed = await train(config('resumed', { resume: true }));
    assert.equal(resumed.status, 'completed');
    assert.deepEqual(steps(log('resumed')), steps(log('full')));
  });

  it('refuses to overwrite a run that is not resumed', async () => {
    await assert.rejects(train(config('full')), InputError);
  });

  it('stops on a non-finite loss, naming the step and keeping the last good checkpoint', async () => {
    const summary = await train(config('diverge', { lr: 1e30 }));
    assert.equal(summary.status, 'diverged');
    const bad = steps(log('diverge')).at(-1) as StepEvent;
    assert.ok(!Number.isFinite(bad.loss));
    assert.match(summary.message ?? '', new RegExp(`^step ${bad.step}: .*epoch-0\\.safetensors$`));
    assert.ok(existsSync(runFile('diverge', 'epoch-0.safetensors')));
    assert.ok(!existsSync(runFile('diverge', 'epoch-1.safetensors')));
  });

  it('fails before training when the output folder cannot be written', async () => {
    const cfg = { ...config('x'), out: path.join(dir, 'train.safetensors') };
    await assert.rejects(train(cfg), (e: unknown) => e instanceof InputError && /not writable/.test(e.message));
  });

  it('evaluates real CLIP embeddings at epoch 0 as the reference metrics', async (t) => {
    const data = sharedDataDir();
    if (!data) return t.skip(sharedDataSkip);
    const file = path.join(data, 'clip-vitb16-coco500.npy');
    const reference = JSON.parse(readFileSync(path.join(data, 'clip-vitb16-coco500.reference.json'), 'utf8')) as Record<string, number>;
    await train({ ...config('real'), train: [file], eval: [file], epochs: 1, batchSize: 128 });
    const epoch0 = (log('real')[0] as EvalEvent).metrics;
    for (const key of ['alignment', 'uniformity', 'modality_gap'] as const) assert.ok(Math.abs(epoch0[key] - reference[key]) < 1e-4, key);
  });
});
