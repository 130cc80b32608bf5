/** The CLI on classification files and suites: the JSON keys of METRICS.md, the tables, the sample's suites, exit 2 on bad input. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, it } from 'node:test';
import { generateSample } from '../../../src/core/synthetic/sampleCheckpoint';
import { writeSampleWorkspace } from '../../../src/core/synthetic/sampleWorkspace';
import { fixtureDim, fixtureSet, writeClassificationNpz } from '../../helpers/classificationFixtures';
import { tempDir } from '../../helpers/readerFixtures';
import { repoRoot } from '../../helpers/repoRoot';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const dir = tempDir();
const at = (...parts: string[]) => path.join(dir, ...parts);
const zeroShotKeys = ['n', 'classes', 'top1', 'top5', 'balanced', 'ece', 'ece_tau', 'per_class', 'confused'];

function run(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args, '--backend', 'wasm'], { encoding: 'utf8', timeout: 120_000 });
}

function json(...args: string[]) {
  const r = run(...args, '--json');
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

before(async () => {
  await writeSampleWorkspace(at('sample'));
});

it('analyze --json on a classification file: "zero_shot" with exactly the METRICS.md keys, and no retrieval keys', () => {
  const out = json('analyze', at('sample', 'classification', 'zero-shot', 'id.npz'));
  assert.deepEqual(Object.keys(out), ['zero_shot', 'engine', 'backend', 'seconds']);
  assert.deepEqual(Object.keys(out.zero_shot), zeroShotKeys);
  assert.equal(out.zero_shot.classes, 20);
  assert.equal(out.zero_shot.per_class.length, 20);
  assert.ok(out.zero_shot.confused.every((p: number[]) => p.length === 3 && p[0] !== p[1]));
});

it('a file with pairs and classes reports both', async () => {
  const file = at('both.npz');
  await writeClassificationNpz(file, {
    text_embeds: { shape: [60, fixtureDim], data: generateSample({ pairs: 60, dim: fixtureDim, seed: 2 }).text.data },
  });
  const out = json('analyze', file);
  assert.equal(out.i2t['R@1'] >= 0, true);
  assert.deepEqual(Object.keys(out.zero_shot), zeroShotKeys);
  const table = run('analyze', file);
  assert.match(table.stdout, /R@1[\s\S]*zero-shot classification: 60 images, 20 classes/);
});

it('the readable table: top-1, top-5, balanced, ECE and the five worst classes by name', () => {
  const r = run('analyze', at('sample', 'classification', 'fine-tuned', 'id.npz'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /top-1 +[\d.]+ % +top-5 +[\d.]+ % +balanced +[\d.]+ % +ECE [\d.]+ \(τ = 0\.01\)/);
  const worst = /worst classes: (.*)/.exec(r.stdout)![1].split('; ');
  assert.equal(worst.length, 5);
  assert.match(worst[0], /^\d+ [a-z ]+ [\d.]+ % \(20 images\)$/);
});

it("the sample's suites: accuracy drops under shift, and fine-tuning buys ID accuracy but not robustness", () => {
  const zeroShot = json('analyze', at('sample', 'classification', 'zero-shot.suite.json'));
  assert.deepEqual(Object.keys(zeroShot), [
    'suite',
    'inDistribution',
    'shifted',
    'ood_mean',
    'engine',
    'backend',
    'seconds',
  ]);
  assert.deepEqual(Object.keys(zeroShot.inDistribution), ['name', 'files', 'result']);
  const [id, sketch, rendition] = [zeroShot.inDistribution, ...zeroShot.shifted].map((s) => s.result.top1);
  assert.ok(
    id > 60 && id < 80 && sketch > 40 && sketch < 60 && rendition > 25 && rendition < 45,
    `${id} ${sketch} ${rendition}`,
  );
  assert.equal(zeroShot.ood_mean, (sketch + rendition) / 2);
  const folder = json('analyze', at('sample', 'classification', 'zero-shot'));
  assert.equal(folder.ood_mean, zeroShot.ood_mean);

  const compared = json(
    'compare',
    at('sample', 'classification', 'zero-shot.suite.json'),
    at('sample', 'classification', 'fine-tuned.suite.json'),
  );
  const [zs, ft] = compared.robustness;
  assert.deepEqual(Object.keys(zs), ['name', 'id_top1', 'ood_mean', 'logit_id', 'logit_ood', 'gap_to_diagonal']);
  assert.ok(ft.id_top1 > zs.id_top1 && ft.gap_to_diagonal < zs.gap_to_diagonal);
  const table = run(
    'compare',
    at('sample', 'classification', 'zero-shot.suite.json'),
    at('sample', 'classification', 'fine-tuned.suite.json'),
  );
  assert.match(
    table.stdout,
    /checkpoint +ID top-1 +ood_mean +logit\(ID\) +logit\(OOD\) +gap to y=x\n.*zero-shot\.suite\.json +[\d.]+ +[\d.]+ +-?[\d.]+ +-?[\d.]+ +[+-][\d.]+\n/,
  );
});

it('bad input: exit 2 and one line naming the file and the problem', async () => {
  const labels = Int32Array.from(fixtureSet().labels);
  labels[0] = 99;
  await writeClassificationNpz(at('bad-label.npz'), { labels: { shape: [60], data: labels, dtype: 'int64' } });
  writeFileSync(
    at('missing.suite.json'),
    JSON.stringify({ inDistribution: 'nowhere.npz', shifted: ['bad-label.npz'] }),
  );
  const cases: [string[], RegExp][] = [
    [['analyze', at('bad-label.npz')], /bad-label\.npz: label 99 at row 0 is outside \[0, 20\)/],
    [
      ['analyze', at('missing.suite.json')],
      /missing\.suite\.json: set 'nowhere' names .*nowhere\.npz, which does not exist/,
    ],
    [
      ['compare', at('missing.suite.json'), at('bad-label.npz')],
      /compare takes either suites .* or checkpoint files, not both/,
    ],
  ];
  for (const [args, line] of cases) {
    const r = run(...args);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^embedding-lens: [^\n]*\n$/);
    assert.match(r.stderr, line);
  }
});
