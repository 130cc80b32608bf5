import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { describeFile, readArrays, readCheckpoint } from '../../../../src/core/readers';
import { encodeNpy, encodeNpyHeader, encodeNpz, encodeZip, writeNpz } from '../../../../src/core/writers';
import { assertInputError, exactValues, tempDir } from '../../../helpers/readerFixtures';

const dir = tempDir();
const at = (name: string): string => path.join(dir, name);

/** Offset of a member's central directory record, where the reader takes sizes and CRCs from. */
function centralRecord(zip: Buffer, name: string): number {
  const signature = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
  for (let p = zip.indexOf(signature); p >= 0; p = zip.indexOf(signature, p + 4)) {
    if (zip.toString('utf8', p + 46, p + 46 + zip.readUInt16LE(p + 28)) === name) return p;
  }
  throw new Error(`no central record for ${name}`);
}

test('npz round trips, stored and deflated, with the usual key pairs', async () => {
  const image = exactValues(12, 1);
  const text = exactValues(12, 4);
  for (const deflate of [false, true]) {
    for (const [ik, tk] of [
      ['image_embeds', 'text_embeds'],
      ['image_features', 'text_features'],
      ['img', 'txt'],
    ]) {
      const file = at(`keys-${ik}-${deflate}.npz`);
      await writeNpz(
        file,
        {
          [ik]: { shape: [4, 3], data: image },
          [tk]: { shape: [4, 3], data: text },
          other: { shape: [1], data: new Float32Array(1) },
        },
        { deflate },
      );
      const cp = await readCheckpoint([file]);
      assert.deepEqual(cp.image.data, image, file);
      assert.deepEqual(cp.text.data, text, file);
    }
  }
});

test('readArrays decodes every member and keeps the stored dtypes', async () => {
  const file = at('mixed.npz');
  const half = exactValues(6);
  writeFileSync(
    file,
    encodeZip([
      { name: 'a.npy', data: encodeNpy([2, 3], half, { dtype: 'float16', bigEndian: true }), deflate: true },
      { name: 'b.npy', data: encodeNpy([3, 2], half, { fortranOrder: true, dtype: 'float64' }) },
      { name: 'ids.npy', data: encodeNpy([3], Int32Array.from([2, 0, 1]), { dtype: 'int64' }) },
      { name: 'notes.txt', data: Buffer.from('not an array') },
    ]),
  );
  const arrays = await readArrays(file);
  assert.deepEqual([...arrays.keys()], ['a', 'b', 'ids']);
  assert.deepEqual(arrays.get('a'), { name: 'a', shape: [2, 3], dtype: 'float16', data: half });
  assert.deepEqual(arrays.get('b')!.data, half);
  assert.deepEqual(arrays.get('ids')!.data, Int32Array.from([2, 0, 1]));
  const listed = await describeFile(file);
  assert.deepEqual(
    listed.arrays.map((a) => `${a.name} ${a.shape.join('x')} ${a.dtype}`),
    ['a 2x3 float16', 'b 3x2 float64', 'ids 3 int64'],
  );
});

test('user keys, a single (2, N, D) member, and two members told apart by name', async () => {
  const image = exactValues(6, 2);
  const text = exactValues(6, 7);
  await writeNpz(at('custom.npz'), { vis: { shape: [2, 3], data: image }, lang: { shape: [2, 3], data: text } });
  const custom = await readCheckpoint([at('custom.npz')], { imageKeys: ['vis'], textKeys: ['lang'] });
  assert.deepEqual([custom.image.data, custom.text.data], [image, text]);
  await assertInputError(
    readCheckpoint([at('custom.npz')]),
    at('custom.npz'),
    /no image\/text embeddings found: it holds vis, lang/,
  );

  const both = new Float32Array([...image, ...text]);
  await writeNpz(at('stacked.npz'), { arr_0: { shape: [2, 2, 3], data: both } });
  const stacked = await readCheckpoint([at('stacked.npz')]);
  assert.deepEqual([stacked.image.data, stacked.text.data], [image, text]);

  await writeNpz(at('named.npz'), {
    txt_vectors: { shape: [2, 3], data: text },
    img_vectors: { shape: [2, 3], data: image },
  });
  const named = await readCheckpoint([at('named.npz')]);
  assert.deepEqual([named.image.data, named.text.data], [image, text]);
});

test('multi-caption sets carry their text-to-image index', async () => {
  const file = at('captions.npz');
  const index = Int32Array.from([0, 0, 1, 1, 1, 2]);
  await writeNpz(file, {
    image_embeds: { shape: [3, 4], data: exactValues(12) },
    text_embeds: { shape: [6, 4], data: exactValues(24, 3) },
    text_to_image: { shape: [6], data: index, dtype: 'int64' },
  });
  const cp = await readCheckpoint([file]);
  assert.deepEqual([cp.image.rows, cp.text.rows], [3, 6]);
  assert.deepEqual(cp.textToImage, index);
});

test('refused: member paths that climb out or start at the root', async () => {
  for (const evil of ['../evil.npy', '/etc/evil.npy', 'a/../../evil.npy', 'C:\\evil.npy']) {
    const file = at('evil.npz');
    writeFileSync(file, encodeZip([{ name: evil, data: encodeNpy([1, 2], exactValues(2)) }]));
    await assertInputError(readCheckpoint([file]), file, /unsafe path/);
  }
});

test('refused as zip bombs: a declared size over the budget, and inflation past the declared size', async () => {
  const big = encodeNpy([2, 256, 256], new Float32Array(2 * 256 * 256).fill(0.5));
  const zip = encodeZip([{ name: 'both.npy', data: big, deflate: true }]);
  assert.ok(zip.length * 50 < big.length, 'the member should compress well');
  const budget = big.length / 4;
  writeFileSync(at('bomb.npz'), zip);
  await assertInputError(
    readCheckpoint([at('bomb.npz')], { memoryBudgetBytes: budget }),
    at('bomb.npz'),
    /over the memory budget .* zip bomb/,
  );

  // A directory that understates the size must not let the inflation run on.
  const lying = Buffer.from(zip);
  lying.writeUInt32LE(1000, centralRecord(lying, 'both.npy') + 24);
  writeFileSync(at('lying-bomb.npz'), lying);
  await assertInputError(
    readCheckpoint([at('lying-bomb.npz')], { memoryBudgetBytes: budget }),
    at('lying-bomb.npz'),
    /inflates past its declared 1000 bytes/,
  );
});

test('refused: a bad CRC, a truncated archive, a file that is no zip', async () => {
  const zip = encodeNpz({
    image_embeds: { shape: [2, 3], data: exactValues(6) },
    text_embeds: { shape: [2, 3], data: exactValues(6, 1) },
  });
  const badCrc = Buffer.from(zip);
  const crcAt = centralRecord(badCrc, 'text_embeds.npy') + 16;
  badCrc.writeUInt32LE(badCrc.readUInt32LE(crcAt) ^ 1, crcAt);
  writeFileSync(at('crc.npz'), badCrc);
  await assertInputError(
    readCheckpoint([at('crc.npz')]),
    at('crc.npz'),
    /member 'text_embeds.npy' fails its CRC-32 check/,
  );

  writeFileSync(at('cut.npz'), zip.subarray(0, zip.length - 30));
  await assertInputError(readCheckpoint([at('cut.npz')]), at('cut.npz'), /truncated/);

  writeFileSync(at('plain.npz'), Buffer.from('definitely not a zip file'));
  await assertInputError(readCheckpoint([at('plain.npz')]), at('plain.npz'), /not a zip archive/);
});

test('refused: a member whose .npy header promises more than it holds', async () => {
  const npy = encodeNpy([2, 3, 4], exactValues(24));
  const file = at('short-member.npz');
  writeFileSync(file, encodeZip([{ name: 'both.npy', data: npy.subarray(0, npy.length - 8), deflate: true }]));
  await assertInputError(
    readCheckpoint([file]),
    file,
    /^truncated member 'both.npy': header says \(2, 3, 4\) float32 = 96 bytes, member has 88 after the header$/,
  );
});

test('a string array named captions labels the texts: numpy U (UTF-32, either byte order) and S (UTF-8 bytes)', async () => {
  const image = exactValues(6, 1);
  const text = exactValues(6, 2);
  const captions = ['a cat on a mat', 'café ☕', 'two 🐈🐈 cats'];
  const embeds = [
    { name: 'image_embeds.npy', data: encodeNpy([3, 2], image) },
    { name: 'text_embeds.npy', data: encodeNpy([3, 2], text) },
  ];
  // np.array(captions) as numpy saves it.
  const unicode = at('captions-u.npz');
  await writeNpz(unicode, {
    image_embeds: { shape: [3, 2], data: image },
    text_embeds: { shape: [3, 2], data: text },
    captions: { strings: captions },
  });
  assert.deepEqual((await readCheckpoint([unicode])).captions, captions);
  const listed = await describeFile(unicode);
  assert.deepEqual(
    listed.arrays.find((a) => a.name === 'captions'),
    { name: 'captions', shape: [3], dtype: 'str' },
  );

  const width = Math.max(...captions.map((c) => Array.from(c).length));
  const bigEndian = Buffer.alloc(3 * width * 4);
  captions.forEach((c, k) =>
    Array.from(c).forEach((ch, i) => bigEndian.writeUInt32BE(ch.codePointAt(0)!, (k * width + i) * 4)),
  );
  const be = at('captions-be.npz');
  writeFileSync(
    be,
    encodeZip([
      ...embeds,
      {
        name: 'caption.npy',
        data: Buffer.concat([encodeNpyHeader({ descr: `>U${width}`, fortranOrder: false, shape: [3] }), bigEndian]),
      },
    ]),
  );
  assert.deepEqual((await readCheckpoint([be])).captions, captions);

  const utf8 = captions.map((c) => Buffer.from(c, 'utf8'));
  const byteWidth = Math.max(...utf8.map((b) => b.length));
  const bytes = Buffer.alloc(3 * byteWidth);
  utf8.forEach((b, k) => b.copy(bytes, k * byteWidth));
  const s = at('captions-s.npz');
  writeFileSync(
    s,
    encodeZip([
      ...embeds,
      {
        name: 'texts.npy',
        data: Buffer.concat([encodeNpyHeader({ descr: `|S${byteWidth}`, fortranOrder: false, shape: [3] }), bytes]),
      },
    ]),
  );
  assert.deepEqual((await readCheckpoint([s])).captions, captions);
});

test('string arrays that cannot label the texts get one line naming the member', async () => {
  const image = exactValues(6, 1);
  const text = exactValues(6, 2);
  const embeds = { image_embeds: { shape: [3, 2], data: image }, text_embeds: { shape: [3, 2], data: text } };
  const tooFew = at('captions-too-few.npz');
  await writeNpz(tooFew, { ...embeds, captions: { strings: ['one', 'two'] } });
  await assertInputError(readCheckpoint([tooFew]), tooFew, /2 captions for 3 texts/);

  const grid = at('captions-2d.npz');
  const data = Buffer.alloc(6 * 4);
  writeFileSync(
    grid,
    encodeZip([
      { name: 'image_embeds.npy', data: encodeNpy([3, 2], image) },
      { name: 'text_embeds.npy', data: encodeNpy([3, 2], text) },
      {
        name: 'captions.npy',
        data: Buffer.concat([encodeNpyHeader({ descr: '<U1', fortranOrder: false, shape: [3, 2] }), data]),
      },
    ]),
  );
  await assertInputError(
    readCheckpoint([grid]),
    grid,
    /member 'captions\.npy' is not a 1-D array of strings \(dtype str, shape \(3, 2\)\)/,
  );

  const short = at('captions-truncated.npz');
  writeFileSync(
    short,
    encodeZip([
      { name: 'image_embeds.npy', data: encodeNpy([3, 2], image) },
      { name: 'text_embeds.npy', data: encodeNpy([3, 2], text) },
      {
        name: 'captions.npy',
        data: Buffer.concat([encodeNpyHeader({ descr: '<U4', fortranOrder: false, shape: [3] }), Buffer.alloc(20)]),
      },
    ]),
  );
  await assertInputError(
    readCheckpoint([short]),
    short,
    /truncated member 'captions\.npy': header says \(3,\) str = 48 bytes, member has 20/,
  );

  // A string array under another name is neither an embedding nor a label: the file reads without it.
  const other = at('strings-elsewhere.npz');
  await writeNpz(other, { ...embeds, notes: { strings: ['x', 'y', 'z'] } });
  assert.equal((await readCheckpoint([other])).captions, undefined);
});

test("refused before it is inflated: a member whose .npy header is over numpy's 10,000 bytes", async () => {
  const file = at('long-header.npz');
  const header = encodeNpyHeader({ descr: '<f4', fortranOrder: false, shape: Array(4000).fill(1) });
  writeFileSync(file, encodeZip([{ name: 'both.npy', data: Buffer.concat([header, Buffer.alloc(4)]), deflate: true }]));
  await assertInputError(
    describeFile(file),
    file,
    new RegExp(`^member 'both\\.npy' declares a ${header.length - 10}-byte \\.npy header; .* over 10000 bytes$`),
  );
});

test('listing a member inflates no more than its header, whatever the deflate stream opens with', async () => {
  // Empty stored blocks yield nothing, so the first 64 KB of this member inflate to nothing; then
  // 256 MB of zeros, from self-contained 1 MB blocks, follow a small header.
  const header = encodeNpyHeader({ descr: '<f4', fortranOrder: false, shape: [2, 1 << 25] });
  const emptyBlock = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);
  const zeros = zlib.deflateRawSync(Buffer.alloc(1 << 20), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const stream = Buffer.concat([
    ...Array<Buffer>(14_000).fill(emptyBlock),
    zlib.deflateRawSync(header, { finishFlush: zlib.constants.Z_SYNC_FLUSH }),
    ...Array<Buffer>(256).fill(zeros),
    Buffer.from([0x03, 0x00]),
  ]);
  const zip = encodeZip([{ name: 'both.npy', data: stream }]);
  const size = header.length + 256 * (1 << 20);
  zip.writeUInt16LE(8, 8);
  zip.writeUInt32LE(size, 22);
  zip.writeUInt16LE(8, centralRecord(zip, 'both.npy') + 10);
  zip.writeUInt32LE(size, centralRecord(zip, 'both.npy') + 24);
  const file = at('padded-bomb.npz');
  writeFileSync(file, zip);

  const peakBefore = process.resourceUsage().maxRSS;
  const listed = await describeFile(file);
  assert.deepEqual(listed.arrays, [{ name: 'both', shape: [2, 1 << 25], dtype: 'float32' }]);
  const grownMB = (process.resourceUsage().maxRSS - peakBefore) / 1024;
  assert.ok(grownMB < 64, `listing the header raised the peak memory by ${grownMB.toFixed(0)} MB`);
});

test('refused: two members of the same name, and local headers that contradict the directory', async () => {
  const embeds = [
    { name: 'image_embeds.npy', data: encodeNpy([2, 3], exactValues(6)) },
    { name: 'text_embeds.npy', data: encodeNpy([2, 3], exactValues(6, 1)) },
  ];
  const twice = at('twice.npz');
  writeFileSync(
    twice,
    encodeZip([...embeds, { name: 'image_embeds.npy', data: encodeNpy([2, 3], exactValues(6, 2)) }]),
  );
  await assertInputError(
    readCheckpoint([twice]),
    twice,
    /^member 'image_embeds\.npy' appears twice in the zip directory/,
  );

  // The first member's local header sits at offset 0, its name at 30.
  const renamed = encodeZip(embeds);
  renamed.write('imXge', 30, 'latin1');
  writeFileSync(at('renamed.npz'), renamed);
  await assertInputError(
    readCheckpoint([at('renamed.npz')]),
    at('renamed.npz'),
    /member 'image_embeds\.npy' is named 'imXge_embeds\.npy' in its local header/,
  );

  const method = encodeZip(embeds);
  method.writeUInt16LE(8, 8);
  writeFileSync(at('method.npz'), method);
  await assertInputError(
    readCheckpoint([at('method.npz')]),
    at('method.npz'),
    /member 'image_embeds\.npy' has compression method 8 in its local header, 0 in the directory/,
  );
});

test('refused: image and text keys naming the same array', async () => {
  const file = at('same-keys.npz');
  await writeNpz(file, {
    image_embeds: { shape: [2, 3], data: exactValues(6) },
    text_embeds: { shape: [2, 3], data: exactValues(6, 1) },
  });
  await assertInputError(
    readCheckpoint([file], { imageKeys: ['IMAGE_EMBEDS'], textKeys: ['image_embeds'] }),
    file,
    /the image and text keys both name 'image_embeds'/,
  );
});

test('an archive of many unrecognised arrays is listed by its first ten names', async () => {
  const file = at('many.npz');
  const members = Object.fromEntries(
    Array.from({ length: 25 }, (_, k) => [`m${String(k).padStart(2, '0')}`, { shape: [1, 2], data: exactValues(2) }]),
  );
  await writeNpz(file, members);
  await assertInputError(
    readCheckpoint([file]),
    file,
    /it holds m00, m01, m02, m03, m04, m05, m06, m07, m08, m09, … and 15 more \(looked for/,
  );
});
