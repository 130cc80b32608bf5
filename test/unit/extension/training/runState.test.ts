import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../../src/core/train/config';
import type { StepEvent } from '../../../../src/core/train/events';
import { applyEvent, applySummary, emptySnapshot, maxStepPoints } from '../../../../src/extension/training/runState';
import { relativePath, scaffoldConfig, suggestName } from '../../../../src/extension/training/scaffold';

const step = (n: number, loss = 1 / n): StepEvent => ({
  type: 'step',
  step: n,
  epoch: 1,
  lr: n * 1e-6,
  loss,
  components: { clip: loss, m2mix: 2 * loss },
  lambda: { m2mix: 0.5 },
});

describe('dashboard snapshot reduction', () => {
  it('keeps every step while they fit, aligned across lr, loss and each term', () => {
    const snap = emptySnapshot('r', '/c.m2mix.json', 2);
    applyEvent(snap, { type: 'start', runDir: '/runs/r', totalSteps: 50, stepsPerEpoch: 25, firstStep: 0, notes: [] });
    for (let n = 1; n <= 50; n++) applyEvent(snap, step(n));
    assert.equal(snap.status, 'running');
    assert.equal(snap.step, 50);
    assert.deepEqual(
      snap.steps.step,
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    assert.equal(snap.steps.lr[9], step(10).lr);
    assert.equal(snap.steps.components.m2mix![9], 2 / 10);
  });

  it('halves the points and doubles the stride past the cap, keeping steps 1, 1 + stride, ...', () => {
    const snap = emptySnapshot('r', '/c.m2mix.json', 1);
    const total = 3 * maxStepPoints + 5;
    for (let n = 1; n <= total; n++) applyEvent(snap, step(n));
    const s = snap.steps;
    // Thinned at 2,001 points (stride 2, 1,000 left), and again when they reach 2,001 (stride 4).
    assert.equal(s.stride, 4);
    assert.ok(s.step.length <= maxStepPoints, `${s.step.length} points`);
    assert.ok(s.step.every((n) => (n - 1) % s.stride === 0));
    assert.equal(s.step.at(-1), total - ((total - 1) % s.stride));
    for (const column of [s.lr, s.loss, s.components.clip!, s.components.m2mix!])
      assert.equal(column.length, s.step.length);
    assert.equal(s.loss[3], 1 / s.step[3]);
    assert.equal(snap.step, total);
  });

  it('records a non-finite loss as null (JSON has no NaN), the best checkpoint and the end status', () => {
    const snap = emptySnapshot('r', '/c.m2mix.json', 1);
    applyEvent(snap, step(1, NaN));
    assert.deepEqual([snap.steps.loss[0], snap.steps.components.clip![0]], [null, null]);
    applyEvent(snap, { type: 'checkpoint', epoch: 0, file: path.join('/runs/r', 'epoch-0.safetensors'), best: true });
    applyEvent(snap, { type: 'checkpoint', epoch: 1, file: path.join('/runs/r', 'epoch-1.safetensors'), best: false });
    assert.equal(snap.bestEpoch, 0);
    assert.equal(snap.bestCheckpoint, path.join('/runs/r', 'best.safetensors'));
    applySummary(snap, {
      runDir: '/runs/r',
      status: 'diverged',
      message: 'step 1: the loss is NaN',
      epochs: 0,
      steps: 1,
      bestEpoch: 0,
      bestMetric: 'mean_R@1',
      bestValue: 50,
      lastCheckpoint: '',
    });
    assert.equal(snap.status, 'diverged');
    assert.equal(snap.message, 'step 1: the loss is NaN');
  });
});

describe('fine-tune scaffold', () => {
  const dir = path.resolve('/ws/project');
  const input = {
    schemaUri: 'file:///ext/schemas/m2mix.schema.json',
    configDir: dir,
    train: path.join(dir, 'data', 'train.npz'),
    eval: path.resolve('/ws/eval.npy'),
  };

  it('writes $schema, relative data paths and every schema default, which resolve like an empty config', () => {
    const raw = JSON.parse(scaffoldConfig(input)) as Record<string, unknown>;
    assert.equal(raw.$schema, input.schemaUri);
    assert.equal(raw.train, './data/train.npz');
    assert.equal(raw.eval, '../eval.npy');
    assert.deepEqual(raw.weights, { m2: 0.1, v: 0.05, l: 0.05, vl: 0.05 });
    assert.deepEqual(
      [raw.loss, raw.tau, raw.tauM, raw.beta, raw.batchSize, raw.weightDecay],
      ['m2mix', 0.01, 0.07, 0.5, 128, 0.2],
    );
    const opts = { baseDir: dir, defaultName: 'run' };
    assert.deepEqual(
      parseConfig(raw, 'scaffold', opts),
      parseConfig({ train: raw.train, eval: raw.eval }, 'minimal', opts),
    );
  });

  it("fits the batch to a training set smaller than the paper's 128, as the largest power of two within it", () => {
    const batch = (trainPairs?: number) =>
      (JSON.parse(scaffoldConfig({ ...input, trainPairs })) as { batchSize: number }).batchSize;
    assert.deepEqual([batch(), batch(5000), batch(128), batch(127), batch(50), batch(2)], [128, 128, 128, 64, 32, 2]);
  });

  it('relative paths use forward slashes; run names follow the schema pattern', () => {
    assert.equal(relativePath('/a/b', '/a/b/c/d.npy'), './c/d.npy');
    assert.equal(suggestName('/x/coco val (2017).safetensors'), 'coco-val--2017-');
    assert.equal(suggestName('/x/_.npy'), 'run');
  });
});
