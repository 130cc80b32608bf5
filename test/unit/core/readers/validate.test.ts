import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { readCheckpoint } from '../../../../src/core/readers';
import { writeNpy, writeNpz, writeSafetensors, type NpzArray } from '../../../../src/core/writers';
import { assertInputError, exactValues, tempDir } from '../../../helpers/readerFixtures';

const dir = tempDir();
const at = (name: string): string => path.join(dir, name);
const f32 = (rows: number, cols: number, offset = 0): NpzArray => ({
  shape: [rows, cols],
  data: exactValues(rows * cols, offset),
});

test('pairs with NaN/Inf or all-zero vectors are dropped, with a warning naming the count and the first', async () => {
  const [n, d] = [6, 3];
  const image = exactValues(n * d);
  const text = exactValues(n * d, 9);
  image[2 * d + 1] = NaN;
  text.fill(0, 4 * d, 5 * d);
  image[5 * d] = -Infinity;
  const file = at('dirty.npz');
  await writeNpz(file, { image_embeds: { shape: [n, d], data: image }, text_embeds: { shape: [n, d], data: text } });
  const cp = await readCheckpoint([file]);
  const kept = [0, 1, 3];
  assert.equal(cp.image.rows, kept.length);
  assert.deepEqual(cp.image.data, Float32Array.from(kept.flatMap((r) => [...image.subarray(r * d, (r + 1) * d)])));
  assert.deepEqual(cp.text.data, Float32Array.from(kept.flatMap((r) => [...text.subarray(r * d, (r + 1) * d)])));
  assert.deepEqual(cp.warnings, ['skipped 3 of 6 pairs with NaN/Inf or zero vectors (first: pair 2, counting from 0)']);
});

test('captions are dropped along with their pairs', async () => {
  const file = at('captioned.safetensors');
  const image = exactValues(3 * 2);
  image.fill(0, 2, 4); // pair 1
  await writeSafetensors(
    file,
    {
      image_embeds: { shape: [3, 2], dtype: 'F32', data: image },
      text_embeds: { shape: [3, 2], dtype: 'F32', data: exactValues(6, 1) },
    },
    { captions: JSON.stringify(['first', 'second', 'third']) },
  );
  const cp = await readCheckpoint([file]);
  assert.equal(cp.image.rows, 2);
  assert.deepEqual(cp.captions, ['first', 'third']);
});

test('refused: a caption count that differs from the text count', async () => {
  const file = at('miscounted.safetensors');
  await writeSafetensors(
    file,
    {
      img: { shape: [2, 2], dtype: 'F32', data: exactValues(4) },
      txt: { shape: [2, 2], dtype: 'F32', data: exactValues(4, 1) },
    },
    { captions: JSON.stringify(['only one']) },
  );
  await assertInputError(readCheckpoint([file]), file, /^1 captions for 2 texts$/);
});

test('with an index, bad rows are refused rather than dropped', async () => {
  const text = exactValues(4 * 2, 3);
  text[5] = NaN;
  const file = at('indexed-nan.npz');
  await writeNpz(file, {
    image_embeds: f32(2, 2),
    text_embeds: { shape: [4, 2], data: text },
    text_to_image: { shape: [4], data: Int32Array.from([0, 0, 1, 1]) },
  });
  await assertInputError(readCheckpoint([file]), file, /text row 2 has NaN\/Inf values or is all zeros/);
});

test('refused: every pair unusable', async () => {
  const file = at('all-zero.npy');
  await writeNpy(file, [2, 3, 2], new Float32Array(12));
  await assertInputError(readCheckpoint([file]), file, /all 3 pairs have NaN\/Inf or all-zero vectors/);
});

test('refused: mismatched pair counts and embedding sizes, naming both files when there are two', async () => {
  await writeNpz(at('counts.npz'), { image_embeds: f32(5, 2), text_embeds: f32(4, 2) });
  await assertInputError(
    readCheckpoint([at('counts.npz')]),
    at('counts.npz'),
    /^mismatched pair counts: 5 images, 4 texts$/,
  );
  await writeNpy(at('dims_image.npy'), [3, 4], exactValues(12));
  await writeNpy(at('dims_text.npy'), [3, 2], exactValues(6));
  await assertInputError(
    readCheckpoint([at('dims_image.npy')]),
    `${at('dims_image.npy')} + ${at('dims_text.npy')}`,
    /mismatched embedding sizes: images have 4 dimensions, texts 2/,
  );
});

test('refused: indices out of range, of the wrong length, or not integers', async () => {
  const cases: [string, NpzArray, RegExp][] = [
    ['range', { shape: [3], data: Int32Array.from([0, 2, 1]) }, /maps text 1 to image 2, outside 0\.\.1/],
    ['negative', { shape: [3], data: Int32Array.from([0, -1, 1]) }, /maps text 1 to image -1/],
    ['length', { shape: [2], data: Int32Array.from([0, 1]) }, /has shape \(2,\); it needs one entry per text, \(3,\)/],
    ['float', { shape: [3], data: Float32Array.from([0, 1, 1]) }, /has dtype float32; it must hold integers/],
  ];
  for (const [name, index, problem] of cases) {
    const file = at(`index-${name}.npz`);
    await writeNpz(file, { img: f32(2, 2), txt: f32(3, 2, 1), txt2img: index });
    await assertInputError(readCheckpoint([file]), file, problem);
  }
});

test('refused: only one modality found under the known keys', async () => {
  const file = at('half.npz');
  await writeNpz(file, { image_features: f32(2, 2), something: f32(2, 2) });
  await assertInputError(readCheckpoint([file]), file, /has 'image_features' but no text array/);
});
