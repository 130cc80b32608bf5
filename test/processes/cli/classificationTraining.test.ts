/** Training on classes (FLYP: each image paired with its class's prompt-averaged text embedding) and suites measured every epoch. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { initBackend } from '../../../src/core/backend/backendLadder';
import { analyzeSuite } from '../../../src/core/classification/analyzeSuite';
import { classPairsCheckpoint, readTrainingPairs } from '../../../src/core/classification/classPairs';
import { classVectors } from '../../../src/core/classification/classVectors';
import { readClassificationSet } from '../../../src/core/classification/readClassificationSet';
import { generateSample } from '../../../src/core/synthetic/sampleCheckpoint';
import { parseConfig } from '../../../src/core/train/config';
import { writeNpz } from '../../../src/core/writers';
import { fixtureDim, writeClassificationNpz } from '../../helpers/classificationFixtures';
import { tempDir } from '../../helpers/readerFixtures';
import { repoRoot } from '../../helpers/repoRoot';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const dir = tempDir();

it('pair i is (x_i, w_{y_i}); a classification-only training file reads as those pairs', async () => {
  const file = path.join(dir, 'train.npz');
  await writeClassificationNpz(file);
  const set = await readClassificationSet(file);
  const pairs = classPairsCheckpoint(set);
  const w = classVectors(set.classEmbeds);
  assert.equal(pairs.text.rows, set.image.rows);
  for (const i of [0, 7, 59]) {
    const c = set.labels[i];
    assert.deepEqual(
      pairs.text.data.subarray(i * fixtureDim, (i + 1) * fixtureDim),
      w.subarray(c * fixtureDim, (c + 1) * fixtureDim),
    );
  }
  assert.deepEqual(await readTrainingPairs([file]), pairs);
});

it('embedding-lens train takes a classification set as --train', async () => {
  const train = path.join(dir, 'classes.npz');
  const evalFile = path.join(dir, 'eval.npz');
  await writeClassificationNpz(train);
  const p = generateSample({ pairs: 40, dim: fixtureDim, seed: 3 });
  await writeNpz(evalFile, {
    image_embeds: { shape: [40, fixtureDim], data: p.image.data },
    text_embeds: { shape: [40, fixtureDim], data: p.text.data },
  });
  const r = spawnSync(
    process.execPath,
    [
      cli,
      'train',
      '--train',
      train,
      '--eval',
      evalFile,
      '--out',
      dir,
      '--name',
      'flyp',
      '--backend',
      'wasm',
      '--epochs',
      '1',
      '--batch-size',
      '32',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /completed: 1 steps/);
});

it('evalSuites: measured through the heads every epoch, epoch 0 (identity heads) as analyze measures the suite; best by ood_mean', async () => {
  const sets = path.join(dir, 'suite');
  mkdirSync(sets);
  await writeClassificationNpz(path.join(sets, 'id.npz'), {}, 60, 1);
  await writeClassificationNpz(path.join(sets, 'shift-a.npz'), {}, 40, 2);
  const evalFile = path.join(dir, 'eval16.npz');
  const p = generateSample({ pairs: 40, dim: fixtureDim, seed: 3 });
  await writeNpz(evalFile, {
    image_embeds: { shape: [40, fixtureDim], data: p.image.data },
    text_embeds: { shape: [40, fixtureDim], data: p.text.data },
  });
  const r = spawnSync(
    process.execPath,
    [
      cli,
      'train',
      '--train',
      path.join(sets, 'id.npz'),
      '--eval',
      evalFile,
      '--eval-suites',
      sets,
      '--best-metric',
      'ood_mean',
      '--out',
      dir,
      '--name',
      'suites',
      '--backend',
      'wasm',
      '--epochs',
      '2',
      '--batch-size',
      '32',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /epoch 0: .*; suite: ID top-1 [\d.]+, OOD mean [\d.]+\n/);
  assert.match(r.stdout, /best ood_mean/);
  const events = readFileSync(path.join(dir, 'suites', 'run.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === 'eval');
  assert.equal(events.length, 3);
  await initBackend('wasm');
  const direct = (await analyzeSuite(sets)).suite;
  const first = events[0].suites[0];
  assert.equal(first.suite, 'suite');
  assert.equal(first.inDistribution.result.top1, direct.inDistribution.result.top1);
  assert.equal(first.ood_mean, direct.ood_mean);
});

it('evalSuites and the suite metrics are refused where they cannot run', () => {
  const opts = { baseDir: dir, defaultName: 'run' };
  const base = { train: 'a.npz', eval: 'b.npz' };
  assert.deepEqual(parseConfig({ ...base, evalSuites: ['x.suite.json'] }, 'c.json', opts).evalSuites, [
    path.join(dir, 'x.suite.json'),
  ]);
  assert.throws(
    () => parseConfig({ ...base, bestMetric: 'id_top1' }, 'c.json', opts),
    /"bestMetric": "id_top1" needs "evalSuites"/,
  );
  assert.throws(
    () => parseConfig({ ...base, engine: 'torch', bestMetric: 'ood_mean' }, 'c.json', opts),
    /"bestMetric": "ood_mean" needs "evalSuites"/,
  );
  // The torch engine measures suites through its heads too; a full model cannot take them.
  assert.deepEqual(
    parseConfig({ ...base, engine: 'torch', evalSuites: ['x.suite.json'], bestMetric: 'id_top1' }, 'c.json', opts)
      .evalSuites,
    [path.join(dir, 'x.suite.json')],
  );
  assert.throws(
    () =>
      parseConfig(
        {
          train: 'a.csv',
          eval: 'b.csv',
          engine: 'torch',
          model: { openClip: 'ViT-B-32' },
          evalSuites: ['x.suite.json'],
        },
        'c.json',
        opts,
      ),
    /"evalSuites" are embedding files measured through heads: "model" \{ "openClip": … \} cannot take them/,
  );
});
