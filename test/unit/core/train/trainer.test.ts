import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { InputError } from '../../../../src/core/util/errors';
import { analyze } from '../../../../src/core/metrics/analyze';
import { readCheckpoint } from '../../../../src/core/readers';
import { generateSample } from '../../../../src/core/synthetic/sampleCheckpoint';
import { parseConfig, type TrainConfig } from '../../../../src/core/train/config';
import type { EvalEvent, LoggedEvent, RunEvent, StepEvent } from '../../../../src/core/train/events';
import { train } from '../../../../src/core/train/trainer';
import { writeSafetensors } from '../../../../src/core/writers';
import { sharedDataDir, sharedDataSkip } from '../../../helpers/sharedData';

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
  return parseConfig(
    {
      train: 'train.safetensors',
      eval: 'eval.safetensors',
      out: 'runs',
      name,
      loss: 'm3mix',
      epochs: 2,
      batchSize: batch,
      lr: 1e-2,
      ...extra,
    },
    'test',
    {
      baseDir: dir,
      defaultName: 'run',
    },
  );
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
    for (const f of ['epoch-0.safetensors', 'epoch-1.safetensors', 'epoch-2.safetensors', 'best.safetensors'])
      assert.ok(existsSync(runFile('full', f)), f);
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

  it('stops inside a step at a cancel, before its update, and a resume still repeats the uninterrupted run', async () => {
    // A token read once per loop turn and a dozen times inside each step: this one says yes mid-step.
    let reads = 0;
    let whereStopped = '';
    const token = {
      get isCancellationRequested() {
        if (++reads !== 61) return reads > 61;
        whereStopped = new Error().stack ?? '';
        return true;
      },
    };
    const summary = await train(config('midStep'), { token });
    assert.equal(summary.status, 'cancelled');
    assert.match(whereStopped, /losses\.[jt]s/, 'the cancel was seen inside a step, by the loss');
    const logged = steps(log('midStep'));
    assert.ok(logged.length >= 1 && logged.length < 2 * stepsPerEpoch, `${logged.length} steps logged`);
    assert.equal(summary.steps, logged.length, 'the stopped step made no update');
    assert.match(summary.message ?? '', new RegExp(`^cancelled at step ${logged.length + 1}; `));
    await train(config('midStep', { resume: true }));
    assert.deepEqual(steps(log('midStep')), steps(log('full')));
  });

  it('ends as cancelled when the cancel comes during an evaluation, naming the last checkpoint written', async () => {
    const token = { isCancellationRequested: false };
    // The epoch's last step is read back after the loop; the epoch's evaluation comes next.
    const onEvent = (e: RunEvent) =>
      e.type === 'step' && e.step === stepsPerEpoch && (token.isCancellationRequested = true);
    const summary = await train(config('evalCancel'), { token, onEvent });
    assert.equal(summary.status, 'cancelled');
    assert.match(
      summary.message ?? '',
      /while evaluating epoch 1, which has no checkpoint; the last checkpoint is epoch-0\.safetensors$/,
    );
    assert.equal(summary.lastCheckpoint, runFile('evalCancel', 'epoch-0.safetensors'));
    assert.ok(!existsSync(runFile('evalCancel', 'epoch-1.safetensors')));
    // Cancelled once the run folder exists: after the data is read, before the first evaluation ends.
    const first = await train(config('evalCancel0'), {
      token: {
        get isCancellationRequested() {
          return existsSync(runFile('evalCancel0', ''));
        },
      },
    });
    assert.equal(first.status, 'cancelled');
    assert.equal(first.lastCheckpoint, undefined);
    assert.ok(!existsSync(runFile('evalCancel0', 'epoch-0.safetensors')));
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

  it('refuses a batch larger than the training pairs, and a bad input leaves no run folder', async () => {
    await assert.rejects(
      train(config('big', { batchSize: pairs + 1 })),
      (e: unknown) => e instanceof InputError && /batchSize 65 is larger than the 64 training pairs/.test(e.message),
    );
    await assert.rejects(train(config('missing', { train: 'nope.safetensors' })), InputError);
    assert.ok(!existsSync(runFile('big', '')) && !existsSync(runFile('missing', '')));
  });

  it('refuses a folder holding checkpoints without a log, which a new run would overwrite', async () => {
    mkdirSync(runFile('foreign', ''), { recursive: true });
    writeFileSync(runFile('foreign', 'best.safetensors'), 'mine');
    await assert.rejects(
      train(config('foreign')),
      (e: unknown) => e instanceof InputError && /already holds best\.safetensors/.test(e.message),
    );
    assert.equal(readFileSync(runFile('foreign', 'best.safetensors'), 'utf8'), 'mine');
  });

  it('says which settings a resume changed, and that a run already past its epochs has nothing to train', async () => {
    const notes: string[] = [];
    const onEvent = (e: RunEvent) => e.type === 'start' && notes.push(...e.notes);
    await train(config('full', { resume: true, lr: 2e-2, weights: { vl: 0.5, m2: 0.1 } }), { onEvent });
    assert.deepEqual(notes, [
      'resumed with settings changed since epoch-2.safetensors: lr 0.01 → 0.02, weights {"l":0.05,"m2":0.1,"v":0.05,"vl":0.05} → {"l":0.05,"m2":0.1,"v":0.05,"vl":0.5}',
      'epoch-2.safetensors already ends epoch 2 of the 2 asked for: nothing to train',
    ]);
  });

  it("starts over when resuming a run killed before its first checkpoint, and clears a killed write's temp file", async () => {
    mkdirSync(runFile('killed', ''), { recursive: true });
    // What a run killed while writing epoch-0 leaves: its epoch-0 eval logged, the checkpoint half written.
    writeFileSync(runFile('killed', 'run.jsonl'), JSON.stringify({ type: 'eval', epoch: 0, metrics: {} }) + '\n');
    const temp = `.epoch-0.safetensors.${2 ** 22 + 1}.0a1b2c3d.tmp`; // above Linux's pid_max: no such process
    writeFileSync(runFile('killed', temp), 'half');
    await train(config('killed', { resume: true, epochs: 1 }));
    assert.deepEqual(
      log('killed')
        .filter((e) => e.type === 'eval')
        .map((e) => e.epoch),
      [0, 1],
    );
    assert.ok(!existsSync(runFile('killed', temp)));
  });

  it('passes on what the reader skipped as notes naming the file', async () => {
    const s = generateSample({ pairs, dim: 16, seed: 3 });
    s.image.data[5 * 16] = NaN;
    await writeSafetensors(path.join(dir, 'nan.safetensors'), {
      image_embeds: { shape: [s.image.rows, s.image.cols], dtype: 'F32', data: s.image.data },
      text_embeds: { shape: [s.text.rows, s.text.cols], dtype: 'F32', data: s.text.data },
    });
    const notes: string[] = [];
    await train(config('nan', { train: 'nan.safetensors', epochs: 1 }), {
      onEvent: (e) => e.type === 'start' && notes.push(...e.notes),
    });
    assert.equal(notes.length, 1, notes.join('\n'));
    assert.match(notes[0], /nan\.safetensors: .*skipped 1 of 64 pairs/);
  });

  it('evaluates real CLIP embeddings at epoch 0 as the reference metrics', async (t) => {
    const data = sharedDataDir();
    if (!data) return t.skip(sharedDataSkip);
    const file = path.join(data, 'clip-vitb16-coco500.npy');
    const reference = JSON.parse(readFileSync(path.join(data, 'clip-vitb16-coco500.reference.json'), 'utf8')) as Record<
      string,
      number
    >;
    await train({ ...config('real'), train: [file], eval: [file], epochs: 1, batchSize: 128 });
    const epoch0 = (log('real')[0] as EvalEvent).metrics;
    for (const key of ['alignment', 'uniformity', 'modality_gap'] as const)
      assert.ok(Math.abs(epoch0[key] - reference[key]) < 1e-4, key);
  });
});
