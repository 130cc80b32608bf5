/** Suites: the *.suite.json file and the folder convention, each set measured, ood_mean, the robustness point. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, it } from 'node:test';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { analyzeSuite } from '../../../../src/core/classification/analyzeSuite';
import { analyzeZeroShot } from '../../../../src/core/classification/analyzeZeroShot';
import { readClassificationSet } from '../../../../src/core/classification/readClassificationSet';
import { logitOfPercent, robustnessPoint } from '../../../../src/core/classification/robustness';
import { isSuite } from '../../../../src/core/classification/suiteSpec';
import {
  fixtureClasses,
  fixtureDim,
  fixtureSet,
  writeClassificationNpz,
} from '../../../helpers/classificationFixtures';
import { assertInputError, tempDir } from '../../../helpers/readerFixtures';
import { repoRoot } from '../../../helpers/repoRoot';

const dir = tempDir();
const at = (...parts: string[]) => path.join(dir, ...parts);

before(async () => {
  await initBackend('wasm');
  mkdirSync(at('sets'));
  await writeClassificationNpz(at('sets', 'id.npz'), {}, 60, 1);
  await writeClassificationNpz(at('sets', 'shift-a.npz'), {}, 40, 2);
  await writeClassificationNpz(at('sets', 'shift-b.npz'), {}, 50, 3);
});

const top1 = async (file: string) => (await analyzeZeroShot(await readClassificationSet(file))).result.top1;

it('a suite file names its sets by path (named after the file) or by {name, file}, relative to itself', async () => {
  const suite = at('run.suite.json');
  writeFileSync(
    suite,
    JSON.stringify({
      inDistribution: 'sets/id.npz',
      shifted: ['sets/shift-a.npz', { name: 'sketch', file: 'sets/shift-b.npz' }],
    }),
  );
  const { suite: result, details } = await analyzeSuite(suite);
  assert.equal(result.suite, 'run');
  assert.equal(result.inDistribution.name, 'id');
  assert.deepEqual(
    result.shifted.map((s) => s.name),
    ['shift-a', 'sketch'],
  );
  assert.deepEqual(result.inDistribution.files, [at('sets', 'id.npz')]);
  const [a, b] = [await top1(at('sets', 'shift-a.npz')), await top1(at('sets', 'shift-b.npz'))];
  assert.equal(result.inDistribution.result.top1, await top1(at('sets', 'id.npz')));
  assert.equal(result.ood_mean, (a + b) / 2);
  assert.equal(details.length, 3);
});

it('a folder with id.* and shift-*.* files is a suite; its sets are named by what follows shift-', async () => {
  assert.equal(await isSuite(at('sets')), true);
  const { suite } = await analyzeSuite(at('sets'));
  assert.equal(suite.suite, 'sets');
  assert.deepEqual([suite.inDistribution.name, ...suite.shifted.map((s) => s.name)], ['id', 'a', 'b']);
});

it('the robustness point: logit axes clamped at 1e-6, and the gap to y = x', () => {
  assert.equal(logitOfPercent(50), 0);
  assert.ok(Math.abs(logitOfPercent(75) - Math.log(3)) < 1e-12);
  const edge = Math.log((1 - 1e-6) / 1e-6);
  assert.ok(Math.abs(logitOfPercent(100) - edge) < 1e-9 && Math.abs(logitOfPercent(0) + edge) < 1e-9);
  const set = (top1: number) => ({
    name: 's',
    files: [],
    result: { n: 1, classes: 1, top1, top5: 0, balanced: 0, ece: 0, ece_tau: 0.01, per_class: [], confused: [] },
  });
  const point = robustnessPoint('ckpt', { suite: 's', inDistribution: set(75), shifted: [set(50)], ood_mean: 50 });
  assert.equal(point.logit_id, logitOfPercent(75));
  assert.equal(point.gap_to_diagonal, -logitOfPercent(75));
});

it('a suite naming a missing file, sets of different class counts, and malformed suites: one line each', async () => {
  const suite = (name: string, body: unknown) => {
    writeFileSync(at(name), typeof body === 'string' ? body : JSON.stringify(body));
    return at(name);
  };
  const missing = suite('missing.suite.json', { inDistribution: 'sets/id.npz', shifted: ['sets/nowhere.npz'] });
  await assertInputError(analyzeSuite(missing), missing, /^set 'nowhere' names .*nowhere\.npz, which does not exist$/);
  const fewer = fixtureSet(30, 4);
  await writeClassificationNpz(
    at('ten-classes.npz'),
    {
      labels: { shape: [30], data: fewer.labels.map((l) => l % 10), dtype: 'int64' },
      class_embeds: { shape: [10, 4, fixtureDim], data: fewer.classEmbeds.subarray(0, 10 * 4 * fixtureDim) },
    },
    30,
    4,
  );
  const mixed = suite('mixed.suite.json', { inDistribution: 'sets/id.npz', shifted: ['ten-classes.npz'] });
  await assertInputError(
    analyzeSuite(mixed),
    mixed,
    new RegExp(`^set 'ten-classes' has 10 classes but the in-distribution set 'id' has ${fixtureClasses}`),
  );
  const noShift = suite('none.suite.json', { inDistribution: 'sets/id.npz', shifted: [] });
  await assertInputError(analyzeSuite(noShift), noShift, /"shifted" must list at least one shifted set/);
  const notJson = suite('broken.suite.json', '{ "inDistribution": ');
  await assertInputError(analyzeSuite(notJson), notJson, /^is not valid JSON/);
  mkdirSync(at('no-id'));
  await writeClassificationNpz(at('no-id', 'shift-x.npz'));
  await assertInputError(analyzeSuite(at('no-id')), at('no-id'), /needs exactly one id\.\* file/);
});

it('VS Code validates *.suite.json against schemas/suite.schema.json, whose every key has a description for hover', () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  assert.ok(
    pkg.contributes.jsonValidation.some(
      (v: { fileMatch: string; url: string }) =>
        v.fileMatch === '*.suite.json' && v.url === './schemas/suite.schema.json',
    ),
  );
  const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schemas', 'suite.schema.json'), 'utf8'));
  assert.deepEqual(schema.required, ['inDistribution', 'shifted']);
  for (const [key, property] of Object.entries<{ description?: string }>(schema.properties))
    assert.ok(property.description, key);
  for (const [key, property] of Object.entries<{ description?: string }>(schema.definitions.set.oneOf[1].properties))
    assert.ok(property.description, key);
});
