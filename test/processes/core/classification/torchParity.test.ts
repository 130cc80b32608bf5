/**
 * The torch engine's zero-shot figures (python/embedding_lens/zero_shot.py) equal the TypeScript ones
 * to 1e-6 on generated sets. EMBEDDING_LENS_TEST_PYTHON names an interpreter with torch
 * (scripts/setup-python.sh prints one); without it the test is skipped and says why.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { before, it } from 'node:test';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { analyzeZeroShot } from '../../../../src/core/classification/analyzeZeroShot';
import { readClassificationSet } from '../../../../src/core/classification/readClassificationSet';
import { generateClassificationSet, type SetShape } from '../../../../src/core/synthetic/sampleClasses';
import { writeNpz } from '../../../../src/core/writers';
import { tempDir } from '../../../helpers/readerFixtures';
import { repoRoot } from '../../../helpers/repoRoot';

const python = process.env.EMBEDDING_LENS_TEST_PYTHON;
const pythonDir = path.join(repoRoot, 'python');
const dir = tempDir();

before(async () => {
  await initBackend('wasm');
});

const shapes: SetShape[] = [
  { signal: 0.3, domain: 0, distortion: 0 },
  { signal: 0.2, domain: 0.8, distortion: 0.5 },
  { signal: 0.05, domain: 1, distortion: 1 },
];

it(
  'the torch engine and the TypeScript pass agree to 1e-6 on generated sets',
  { skip: python ? false : 'EMBEDDING_LENS_TEST_PYTHON is not set (an interpreter with torch)' },
  async () => {
    for (const [k, shape] of shapes.entries()) {
      const s = generateClassificationSet({ modelSeed: 20 + k, setSeed: 30 + k, images: 500, dim: 64, shape });
      const file = path.join(dir, `set${k}.npz`);
      // The last set has one prompt per class: the (C, D) form.
      const classes =
        k === 2
          ? { shape: [s.classes, 64], data: s.classEmbeds.subarray(0, s.classes * 64) }
          : { shape: [s.classes, s.prompts, 64], data: s.classEmbeds };
      await writeNpz(file, {
        image_embeds: { shape: [500, 64], data: s.image.data },
        labels: { shape: [500], data: s.labels, dtype: 'int64' },
        class_embeds: classes,
      });
      const ts = (await analyzeZeroShot(await readClassificationSet(file))).result;
      const r = spawnSync(python!, ['-m', 'embedding_lens.zero_shot', file], {
        cwd: pythonDir,
        encoding: 'utf8',
        timeout: 120_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const py = JSON.parse(r.stdout).zero_shot;
      assert.deepEqual(Object.keys(py), Object.keys(ts));
      for (const key of ['n', 'classes', 'confused'] as const) assert.deepEqual(py[key], ts[key], key);
      for (const key of ['top1', 'top5', 'balanced', 'ece', 'ece_tau'] as const)
        assert.ok(Math.abs(py[key] - ts[key]) <= 1e-6, `${key}: ${py[key]} vs ${ts[key]}`);
      ts.per_class.forEach((a, c) => assert.ok(Math.abs(py.per_class[c] - a) <= 1e-6, `per_class[${c}]`));
    }
  },
);
