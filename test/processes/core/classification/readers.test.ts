/** Classification files in each format, recognised by their arrays, and every bad input refused in one line. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { analyzeInput } from '../../../../src/core/classification/analyzeInput';
import { readClassificationSet } from '../../../../src/core/classification/readClassificationSet';
import { sampleClassNames } from '../../../../src/core/synthetic/sampleClasses';
import { generateSample } from '../../../../src/core/synthetic/sampleCheckpoint';
import { encodeNpy, encodeNpyHeader, encodeZip, writeNpz } from '../../../../src/core/writers';
import {
  fixtureClasses,
  fixtureDim,
  fixtureSet,
  writeClassificationNpz,
  writeClassificationSafetensors,
} from '../../../helpers/classificationFixtures';
import { pytorchPython, pytorchSkip } from '../../../helpers/pytorchFixtures';
import { assertInputError, tempDir } from '../../../helpers/readerFixtures';

const dir = tempDir();
const at = (name: string) => path.join(dir, name);
const settings = { uniformityT: 2, ks: [1, 5, 10], eceTau: 0.01, memoryBudgetMB: 64, imageKeys: [], textKeys: [] };

before(async () => {
  await initBackend('wasm');
});

describe('reading classification sets', () => {
  it('.npz: int64 labels, prompt ensembles and a string array of class names', async () => {
    const file = at('set.npz');
    await writeClassificationNpz(file, { class_names: { strings: sampleClassNames } });
    const s = await readClassificationSet(file);
    const expected = fixtureSet();
    assert.deepEqual(s.labels, expected.labels);
    assert.deepEqual(s.classEmbeds, {
      classes: fixtureClasses,
      prompts: 4,
      dim: fixtureDim,
      data: expected.classEmbeds,
    });
    assert.deepEqual(s.classNames, sampleClassNames);
    assert.deepEqual(s.warnings, []);
  });

  it('.safetensors: I64 labels and class names from __metadata__', async () => {
    const file = at('set.safetensors');
    await writeClassificationSafetensors(file, sampleClassNames);
    const s = await readClassificationSet(file);
    assert.deepEqual(s.labels, fixtureSet().labels);
    assert.deepEqual(s.classNames, sampleClassNames);
  });

  it('labels of any integer dtype: uint8 and int32 read as int64 does', async () => {
    const s = fixtureSet();
    const u8 = at('u8.npz');
    writeFileSync(
      u8,
      encodeZip([
        { name: 'image_embeds.npy', data: encodeNpy([60, fixtureDim], s.image.data) },
        {
          name: 'labels.npy',
          data: Buffer.concat([
            encodeNpyHeader({ descr: '|u1', fortranOrder: false, shape: [60] }),
            Buffer.from(Uint8Array.from(s.labels)),
          ]),
        },
        { name: 'class_embeds.npy', data: encodeNpy([fixtureClasses, 4, fixtureDim], s.classEmbeds) },
      ]),
    );
    assert.deepEqual((await readClassificationSet(u8)).labels, s.labels);
    const i32 = at('i32.npz');
    await writeClassificationNpz(i32, { labels: { shape: [60], data: s.labels, dtype: 'int32' } });
    assert.deepEqual((await readClassificationSet(i32)).labels, s.labels);
  });

  it('.pt: a dict saved by torch.save, int64 labels and a list of class names', { skip: pytorchSkip }, async () => {
    const npz = at('for-pt.npz');
    await writeClassificationNpz(npz, { class_names: { strings: sampleClassNames } });
    const file = at('set.pt');
    const script = `import numpy as np, torch, sys; d = np.load(sys.argv[1]); torch.save({'image_embeds': torch.from_numpy(d['image_embeds']), 'labels': torch.from_numpy(d['labels']), 'class_embeds': torch.from_numpy(d['class_embeds']), 'class_names': [str(s) for s in d['class_names']]}, sys.argv[2])`;
    const run = spawnSync(pytorchPython!, ['-c', script, npz, file], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    const s = await readClassificationSet(file);
    assert.deepEqual(s.labels, fixtureSet().labels);
    assert.deepEqual(s.classNames, sampleClassNames);
    assert.equal(s.classEmbeds.prompts, 4);
  });

  it('(C, D) class embeddings are one prompt per class', async () => {
    const file = at('flat.npz');
    const s = fixtureSet();
    await writeClassificationNpz(file, {
      class_embeds: {
        shape: [fixtureClasses, fixtureDim],
        data: s.classEmbeds.subarray(0, fixtureClasses * fixtureDim),
      },
    });
    assert.equal((await readClassificationSet(file)).classEmbeds.prompts, 1);
  });

  it('image rows with NaN are skipped with their labels, and said so', async () => {
    const s = fixtureSet();
    const image = Float32Array.from(s.image.data);
    image[3 * fixtureDim] = NaN;
    const file = at('nan-image.npz');
    await writeClassificationNpz(file, { image_embeds: { shape: [60, fixtureDim], data: image } });
    const read = await readClassificationSet(file);
    assert.equal(read.image.rows, 59);
    assert.deepEqual(read.labels, Int32Array.from([...s.labels.slice(0, 3), ...s.labels.slice(4)]));
    assert.match(read.warnings[0], /skipped 1 image rows with NaN\/Inf or all zeros, and their labels/);
  });
});

describe('bad classification input: one line naming the file and the problem', () => {
  const spoiled = async (name: string, members: Parameters<typeof writeClassificationNpz>[1], problem: RegExp) => {
    const file = at(name);
    await writeClassificationNpz(file, members);
    await assertInputError(readClassificationSet(file), file, problem);
    await assertInputError(analyzeInput([file], settings), file, problem);
  };
  const labels = (f: (l: Int32Array) => void) => {
    const l = Int32Array.from(fixtureSet().labels);
    f(l);
    return { labels: { shape: [60], data: l, dtype: 'int64' as const } };
  };

  it('a label of C or more', () =>
    spoiled(
      'label-high.npz',
      labels((l) => (l[7] = fixtureClasses)),
      /^label 20 at row 7 is outside \[0, 20\): the class embeddings hold 20 classes$/,
    ));
  it('a negative label', () =>
    spoiled(
      'label-negative.npz',
      labels((l) => (l[0] = -1)),
      /^label -1 at row 0 is outside \[0, 20\)/,
    ));
  it('float labels', () =>
    spoiled(
      'label-float.npz',
      { labels: { shape: [60], data: Float32Array.from(fixtureSet().labels) } },
      /^'labels' \(60,\) is float32: labels must be integers \(any integer dtype\)$/,
    ));
  it('a label count other than the images', () =>
    spoiled(
      'label-count.npz',
      { labels: { shape: [59], data: fixtureSet().labels.slice(1), dtype: 'int64' } },
      /has 59 labels for 60 images$/,
    ));
  it('class names that do not match the class embeddings', () =>
    spoiled(
      'names.npz',
      { class_names: { strings: sampleClassNames.slice(1) } },
      /^19 class names for 20 classes in 'class_embeds'$/,
    ));
  it('a prompt axis of 0', () =>
    spoiled(
      'prompts0.npz',
      { class_embeds: { shape: [fixtureClasses, 0, fixtureDim], data: new Float32Array(0) } },
      /\(20, 0, 16\) has a prompt axis of 0/,
    ));
  it('class embeddings with NaN', () => {
    const c = Float32Array.from(fixtureSet().classEmbeds);
    c[5 * 4 * fixtureDim + 2 * fixtureDim + 3] = NaN;
    return spoiled(
      'class-nan.npz',
      { class_embeds: { shape: [fixtureClasses, 4, fixtureDim], data: c } },
      /holds NaN or Inf \(class 5, prompt 2\)$/,
    );
  });
  it('a class embedding of zeros', () =>
    spoiled(
      'class-zero.npz',
      { class_embeds: { shape: [fixtureClasses, fixtureDim], data: new Float32Array(fixtureClasses * fixtureDim) } },
      /is all zeros at class 0: it cannot be normalised$/,
    ));
  it('class embeddings of another dimension', () =>
    spoiled(
      'class-dim.npz',
      { class_embeds: { shape: [fixtureClasses, 8], data: fixtureSet().classEmbeds.subarray(0, 160) } },
      /has dimension 8 but the image embeddings have 16$/,
    ));
});

describe('what a file holds decides what is reported', () => {
  it('classes only: zero-shot alone, no retrieval keys', async () => {
    const file = at('only-classes.npz');
    await writeClassificationNpz(file);
    const outcome = await analyzeInput([file], settings);
    assert.equal(outcome.kind, 'classification');
    assert.ok(outcome.kind === 'classification' && outcome.zeroShot.result.n === 60);
  });

  it('pairs and classes: the retrieval analysis with zero_shot beside it', async () => {
    const file = at('both.npz');
    const pairs = generateSample({ pairs: 60, dim: fixtureDim, seed: 2 });
    await writeClassificationNpz(file, { text_embeds: { shape: [60, fixtureDim], data: pairs.text.data } });
    const outcome = await analyzeInput([file], settings);
    assert.equal(outcome.kind, 'retrieval');
    if (outcome.kind !== 'retrieval') return;
    assert.equal(outcome.analyzed.result.n, 60);
    assert.deepEqual(outcome.analyzed.result.zero_shot, outcome.analyzed.zeroShot?.result);
    assert.equal(outcome.analyzed.result.zero_shot?.classes, fixtureClasses);
  });

  it('pairs only: no zero_shot', async () => {
    const file = at('pairs.npz');
    const pairs = generateSample({ pairs: 30, dim: fixtureDim, seed: 2 });
    await writeNpz(file, {
      image_embeds: { shape: [30, fixtureDim], data: pairs.image.data },
      text_embeds: { shape: [30, fixtureDim], data: pairs.text.data },
    });
    const outcome = await analyzeInput([file], settings);
    assert.ok(
      outcome.kind === 'retrieval' &&
        outcome.analyzed.result.zero_shot === undefined &&
        outcome.analyzed.zeroShot === undefined,
    );
  });
});
