import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { describeFile, readArrays, readCheckpoint } from '../../../../src/core/readers';
import { encodeSafetensors, writeSafetensors, type SafetensorsDtype } from '../../../../src/core/writers';
import { assertInputError, exactValues, tempDir } from '../../../helpers/readerFixtures';

const dir = tempDir();
const at = (name: string): string => path.join(dir, name);

/** A safetensors file with a hand-written header, for the malformed cases the writer never makes. */
function rawSafetensors(header: string, dataBytes: number, declaredLength = Buffer.byteLength(header)): Buffer {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(declaredLength));
  return Buffer.concat([length, Buffer.from(header), Buffer.alloc(dataBytes)]);
}

test('safetensors round trips F16, BF16, F32, F64 embeddings and I32/I64 indices', async () => {
  const data = exactValues(2 * 3 * 4);
  for (const dtype of ['F16', 'BF16', 'F32', 'F64'] as SafetensorsDtype[]) {
    const file = at(`rt-${dtype}.safetensors`);
    await writeSafetensors(file, { embeddings: { shape: [2, 3, 4], dtype, data } });
    const [only] = (await readArrays(file)).values();
    assert.deepEqual(only.shape, [2, 3, 4]);
    assert.deepEqual(only.data, data, dtype);
  }
  for (const dtype of ['I32', 'I64'] as SafetensorsDtype[]) {
    const index = Int32Array.from([3, 0, -1, 2147483647]);
    const file = at(`rt-${dtype}.safetensors`);
    await writeSafetensors(file, { ids: { shape: [4], dtype, data: index } });
    assert.deepEqual((await readArrays(file)).get('ids')!.data, index);
  }
});

test('metadata, captions and the text-to-image index reach the checkpoint', async () => {
  const file = at('captioned.safetensors');
  const captions = ['a dog', 'the dog', 'a "cat"'];
  const metadata = { model: 'ViT-B/16', captions: JSON.stringify(captions) };
  await writeSafetensors(
    file,
    {
      image_embeds: { shape: [2, 4], dtype: 'F32', data: exactValues(8) },
      text_embeds: { shape: [3, 4], dtype: 'F16', data: exactValues(12, 5) },
      text_to_image: { shape: [3], dtype: 'I64', data: Int32Array.from([0, 0, 1]) },
    },
    metadata,
  );
  const cp = await readCheckpoint([file]);
  assert.deepEqual(cp.metadata, metadata);
  assert.deepEqual(cp.captions, captions);
  assert.deepEqual(cp.textToImage, Int32Array.from([0, 0, 1]));
  const listed = await describeFile(file);
  assert.deepEqual(listed.metadata, metadata);
  assert.deepEqual(
    listed.arrays.map((a) => a.dtype),
    ['float32', 'float16', 'int64'],
  );
});

test('a tensor named __proto__ stays a plain key', async () => {
  const file = at('proto.safetensors');
  // A computed key makes an own property; a literal `__proto__:` would set the prototype.
  await writeSafetensors(file, { ['__proto__']: { shape: [2], dtype: 'F32', data: exactValues(2) } });
  const arrays = await readArrays(file);
  assert.deepEqual([...arrays.keys()], ['__proto__']);
});

test('refused: absurd header lengths, broken JSON, bad metadata', async () => {
  writeFileSync(at('huge.safetensors'), rawSafetensors('{}', 0, 2 ** 40));
  await assertInputError(
    readCheckpoint([at('huge.safetensors')]),
    at('huge.safetensors'),
    /absurd safetensors header length 1099511627776 bytes/,
  );
  writeFileSync(at('past.safetensors'), rawSafetensors('{}', 0, 50));
  await assertInputError(
    readCheckpoint([at('past.safetensors')]),
    at('past.safetensors'),
    /absurd safetensors header length 50 bytes \(the file has 10\)/,
  );
  writeFileSync(at('broken.safetensors'), rawSafetensors('{"a": {"dtype": "F32", ', 0));
  await assertInputError(
    readCheckpoint([at('broken.safetensors')]),
    at('broken.safetensors'),
    /header is not valid JSON/,
  );
  writeFileSync(at('meta.safetensors'), rawSafetensors('{"__metadata__": {"n": 3}}', 0));
  await assertInputError(
    readCheckpoint([at('meta.safetensors')]),
    at('meta.safetensors'),
    /__metadata__ is not a map of strings to strings/,
  );
  const badCaptions = encodeSafetensors(
    {
      image: { shape: [1, 2], dtype: 'F32', data: exactValues(2) },
      text: { shape: [1, 2], dtype: 'F32', data: exactValues(2, 1) },
    },
    { captions: '["unterminated' },
  );
  writeFileSync(at('captions.safetensors'), badCaptions);
  await assertInputError(
    readCheckpoint([at('captions.safetensors')]),
    at('captions.safetensors'),
    /'captions' is not a JSON array of strings/,
  );
});

test('refused: data offsets past the end, inconsistent with the shape, or overlapping', async () => {
  const cases: [string, string, number, RegExp][] = [
    [
      'end',
      '{"x": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}',
      16,
      /tensor 'x' has data_offsets \[0, 24\] running past the end of the file \(the data section has 16 bytes\)/,
    ],
    [
      'size',
      '{"x": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}}',
      24,
      /tensor 'x' has shape \(2, 3\) F32 = 24 bytes, but data_offsets \[0, 20\] span 20/,
    ],
    [
      'overlap',
      '{"x": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}, "y": {"dtype": "F32", "shape": [2, 2], "data_offsets": [8, 24]}}',
      24,
      /tensors 'x' and 'y' overlap/,
    ],
    [
      'reversed',
      '{"x": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}}',
      8,
      /data_offsets that are not \[begin, end\]/,
    ],
  ];
  for (const [name, header, dataBytes, problem] of cases) {
    const file = at(`${name}.safetensors`);
    writeFileSync(file, rawSafetensors(header, dataBytes));
    await assertInputError(readCheckpoint([file]), file, problem);
  }
});
