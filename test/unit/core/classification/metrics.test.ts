/** Zero-shot metrics on sets small enough to check by hand, against the METRICS.md definitions. */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { analyzeZeroShot } from '../../../../src/core/classification/analyzeZeroShot';
import type { ClassificationSet } from '../../../../src/core/classification/classificationSet';
import { classVectors } from '../../../../src/core/classification/classVectors';
import { confusedPairs } from '../../../../src/core/classification/zeroShotSummary';
import { generateClassificationSet } from '../../../../src/core/synthetic/sampleClasses';

before(async () => {
  await initBackend('wasm');
});

/** A set from rows of numbers; classes as (C, D) rows or (C, P, D) nested rows. */
function set(images: number[][], labels: number[], classes: number[][] | number[][][]): ClassificationSet {
  const dim = images[0].length;
  const prompts = Array.isArray(classes[0][0]) ? (classes[0] as number[][]).length : 1;
  return {
    file: 'hand.npz',
    image: { rows: images.length, cols: dim, data: Float32Array.from(images.flat()) },
    labels: Int32Array.from(labels),
    classEmbeds: { classes: classes.length, prompts, dim, data: Float32Array.from(classes.flat(2) as number[]) },
    warnings: [],
  };
}

const axes = [
  [1, 0],
  [0, 1],
  [-1, 0],
];

it('top-1, top-5, per-class and balanced accuracy and the confused pairs follow their definitions', async () => {
  // Image 2 (class 2) scores 1, 0.2, -1: rank 2, argmax 0. Image 3 (class 0) scores 0, 1, 0: rank 1, argmax 1.
  const { result, detail } = await analyzeZeroShot(
    set(
      [
        [1, 0.1],
        [0.1, 1],
        [1, 0.2],
        [0, 1],
      ],
      [0, 1, 2, 0],
      axes,
    ),
  );
  assert.equal(result.n, 4);
  assert.equal(result.classes, 3);
  assert.equal(result.top1, 50);
  assert.equal(result.top5, 100);
  assert.deepEqual(result.per_class, [50, 100, 0]);
  assert.equal(result.balanced, 50);
  assert.deepEqual(result.confused, [
    [0, 1, 1],
    [2, 0, 1],
  ]);
  assert.deepEqual(detail.perClassCount, [2, 1, 1]);
  assert.equal(detail.reliability.length, 15);
});

it('an exact tie leaves the true class at rank 0 (the rank counts strictly higher scores) while the argmax takes the lowest index', async () => {
  // Classes 0 and 1 have the same vector: the image of class 1 ties with class 0.
  const { result } = await analyzeZeroShot(
    set(
      [[1, 0]],
      [1],
      [
        [1, 0],
        [2, 0],
        [0, 1],
      ],
    ),
  );
  assert.equal(result.top1, 100);
  assert.deepEqual(result.confused, [[1, 0, 1]]);
  // ECE counts the argmax, which is wrong: |0 - confidence|, confidence = 1 / (1 + 1 + e^-100).
  assert.ok(Math.abs(result.ece - 0.5) < 1e-12, String(result.ece));
});

it('balanced accuracy averages the classes that have images; an empty class has NaN accuracy (null in JSON)', async () => {
  const four = [...axes, [0, -1]];
  const { result, detail } = await analyzeZeroShot(
    set(
      [
        [1, 0],
        [1, 0.1],
        [0.1, 1],
        [0, 1],
      ],
      [0, 0, 1, 2],
      four,
    ),
  );
  assert.deepEqual(result.per_class.slice(0, 3), [100, 100, 0]);
  assert.ok(Number.isNaN(result.per_class[3]));
  assert.equal(result.balanced, 200 / 3);
  assert.equal(result.top1, 75);
  assert.equal(detail.perClassCount[3], 0);
  assert.equal(JSON.parse(JSON.stringify(result)).per_class[3], null);
});

it('confused pairs: largest counts first, then by true and predicted class, capped', () => {
  const labels = Int32Array.from([2, 2, 2, 0, 0, 1, 1, 1, 3]);
  const argmax = Int32Array.from([1, 1, 0, 1, 1, 0, 0, 1, 2]);
  assert.deepEqual(confusedPairs(labels, argmax, 4), [
    [0, 1, 2],
    [1, 0, 2],
    [2, 1, 2],
    [2, 0, 1],
    [3, 2, 1],
  ]);
  assert.deepEqual(confusedPairs(labels, argmax, 4, 2), [
    [0, 1, 2],
    [1, 0, 2],
  ]);
});

it('prompt ensembles average the normalised prompts: w = normalise(mean_p normalise(t_p))', async () => {
  // Prompts (2, 0) and (0, 1): the raw mean points at (0.89, 0.45), the normalised one at 45 degrees.
  const w = classVectors({ classes: 1, prompts: 2, dim: 2, data: Float32Array.from([2, 0, 0, 1]) });
  assert.ok(Math.abs(w[0] - Math.SQRT1_2) < 1e-7 && Math.abs(w[1] - Math.SQRT1_2) < 1e-7, String(w));
  // Class 1 at 60 degrees, an image of class 0 at 50: nearer the ensemble's 45 degrees than 60, but
  // nearer 60 than the raw mean's 26.6 degrees.
  const deg = (a: number) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)];
  const ensemble = await analyzeZeroShot(
    set(
      [deg(50)],
      [0],
      [
        [
          [2, 0],
          [0, 1],
        ],
        [deg(60), deg(60)],
      ],
    ),
  );
  const rawMean = await analyzeZeroShot(set([deg(50)], [0], [[1, 0.5], deg(60)]));
  assert.equal(ensemble.result.top1, 100);
  assert.equal(rawMean.result.top1, 0);
});

it('ECE: confidence is the float64 softmax of s / tau, 15 equal-width bins', async () => {
  const { result } = await analyzeZeroShot(
    set(
      [[1, 0]],
      [0],
      [
        [1, 0],
        [0, 1],
      ],
    ),
    { eceTau: 1 },
  );
  // One correct image with confidence 1 / (1 + e^-1).
  assert.ok(Math.abs(result.ece - (1 - 1 / (1 + Math.exp(-1)))) < 1e-7, String(result.ece));
  assert.equal(result.ece_tau, 1);
});

it('the blocked pass gives the same figures with one image per block as with all at once', async () => {
  const s = generateClassificationSet({
    modelSeed: 3,
    setSeed: 4,
    images: 120,
    dim: 32,
    shape: { signal: 0.3, domain: 0.5, distortion: 0.3 },
  });
  const sample: ClassificationSet = {
    file: 'g',
    image: s.image,
    labels: s.labels,
    classEmbeds: { classes: s.classes, prompts: s.prompts, dim: 32, data: s.classEmbeds },
    warnings: [],
  };
  const whole = await analyzeZeroShot(sample);
  const blocked = await analyzeZeroShot(sample, { memoryBudgetBytes: 1 });
  assert.deepEqual(blocked, whole);
  assert.ok(whole.result.top1 > 0 && whole.result.top1 < 100);
});
