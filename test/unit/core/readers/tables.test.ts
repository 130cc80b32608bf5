import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { describeFile, readCheckpoint } from '../../../../src/core/readers';
import { assertInputError, exactValues, tempDir } from '../../../helpers/readerFixtures';
import {
  listRows,
  parquetCompressions,
  writeArrowFixture,
  writeParquetFixture,
  type ColumnSpec,
} from '../../../helpers/tableFixtures';

const dir = tempDir();
const at = (name: string): string => path.join(dir, name);
const pairs = 5;
const dim = 4;
const image = exactValues(pairs * dim, 1);
const text = exactValues(pairs * dim, 4);
const captions = Array.from({ length: pairs }, (_, k) => `a photo of thing ${k}`);

const embeddings = (kind: 'list' | 'fixed'): Record<string, ColumnSpec> => ({
  id: { kind: 'int64', rows: [10, 11, 12, 13, 14] },
  image_embedding: { kind, rows: listRows(image, dim) },
  text_embedding: { kind, rows: listRows(text, dim), double: true },
  caption: { kind: 'string', rows: captions },
});

for (const compression of parquetCompressions) {
  test(`parquet with ${compression} pages, in row groups of 2, reads as the pairs it holds`, async () => {
    const file = at(`pairs-${compression}.parquet`);
    writeParquetFixture(file, embeddings('list'), compression);
    const cp = await readCheckpoint([file]);
    assert.deepEqual(cp.image.data, image);
    assert.deepEqual(cp.text.data, text);
    assert.deepEqual(cp.captions, captions);
    assert.deepEqual(cp.warnings, []);
  });
}

test('fixed_size_list columns and Arrow IPC files and streams read the same; the headers tell N, D and dtypes', async () => {
  writeParquetFixture(at('fixed.parquet'), embeddings('fixed'), 'SNAPPY');
  writeArrowFixture(at('pairs.arrow'), embeddings('list'), 'stream');
  writeArrowFixture(at('pairs.feather'), embeddings('fixed'), 'file');
  for (const name of ['fixed.parquet', 'pairs.arrow', 'pairs.feather']) {
    const cp = await readCheckpoint([at(name)]);
    assert.deepEqual(cp.image.data, image, name);
    assert.deepEqual(cp.text.data, text, name);
    assert.deepEqual(cp.captions, captions, name);
    const listed = await describeFile(at(name));
    assert.deepEqual(
      listed.arrays.map((a) => `${a.name} ${a.shape.join('x')} ${a.dtype}`),
      ['image_embedding 5x4 float32', 'text_embedding 5x4 float64', 'caption 5 str'],
      name,
    );
  }
});

test('columns named otherwise are found by the image and text keys', async () => {
  const file = at('custom.parquet');
  writeParquetFixture(
    file,
    {
      vis: { kind: 'list', rows: listRows(image, dim) },
      lang: { kind: 'list', rows: listRows(text, dim) },
      junk: { kind: 'list', rows: listRows(text, dim) },
    },
    'ZSTD',
  );
  await assertInputError(readCheckpoint([file]), file, /no image\/text embeddings found: it holds vis, lang, junk/);
  const cp = await readCheckpoint([file], { imageKeys: ['vis'], textKeys: ['lang'] });
  assert.deepEqual(cp.text.data, text);
});

test('null rows are skipped with their pairs, and counted', async () => {
  const rows: (number[] | null)[] = listRows(image, dim);
  rows[1] = null;
  rows[3] = null;
  const file = at('nulls.parquet');
  writeParquetFixture(
    file,
    { image_embeds: { kind: 'list', rows }, text_embeds: { kind: 'list', rows: listRows(text, dim) } },
    'GZIP',
  );
  const cp = await readCheckpoint([file]);
  assert.equal(cp.image.rows, 3);
  assert.deepEqual(cp.text.data.subarray(dim, 2 * dim), text.subarray(2 * dim, 3 * dim));
  assert.match(cp.warnings[0], /column 'image_embeds' has 2 null rows \(first: row 1\), skipped with their pairs/);
  assert.match(cp.warnings[1], /skipped 2 of 5 pairs/);
});

test('refused: ragged lists, a non-numeric embedding column, a damaged file', async () => {
  const ragged = listRows(image, dim);
  ragged[3] = ragged[3].slice(1);
  writeParquetFixture(
    at('ragged.parquet'),
    { image_embeds: { kind: 'list', rows: ragged }, text_embeds: { kind: 'list', rows: listRows(text, dim) } },
    'SNAPPY',
  );
  await assertInputError(
    readCheckpoint([at('ragged.parquet')]),
    at('ragged.parquet'),
    /column 'image_embeds' has ragged lists: row 3 has 3 values, the first row 4/,
  );

  writeParquetFixture(
    at('strings.parquet'),
    { image_embeds: { kind: 'string', rows: captions }, text_embeds: { kind: 'list', rows: listRows(text, dim) } },
    'SNAPPY',
  );
  await assertInputError(
    readCheckpoint([at('strings.parquet')]),
    at('strings.parquet'),
    /has 'text_embeds' but no image array/,
  );
  await assertInputError(
    readCheckpoint([at('strings.parquet')], { imageKeys: ['image_embeds'] }),
    at('strings.parquet'),
    /'image_embeds' holds strings \(str \(5,\)\), not numbers/,
  );
  const listsOfStrings = at('lists-of-strings.arrow');
  writeArrowFixture(
    listsOfStrings,
    {
      image_embeds: { kind: 'strings-list', rows: captions.map((c) => [c, c]) },
      text_embeds: { kind: 'list', rows: listRows(text, dim) },
    },
    'file',
  );
  await assertInputError(
    readCheckpoint([listsOfStrings]),
    listsOfStrings,
    /column 'image_embeds' holds lists of utf8, not numbers/,
  );

  const damaged = at('damaged.parquet');
  writeFileSync(damaged, Buffer.from('PAR1 this is not parquet at all PAR1'));
  await assertInputError(readCheckpoint([damaged]), damaged, /cannot be read as Parquet/);
  const notArrow = at('damaged.arrow');
  writeFileSync(notArrow, Buffer.from('not arrow'));
  await assertInputError(readCheckpoint([notArrow]), notArrow, /cannot be read as Arrow IPC/);
});

test('a row group larger than the memory budget is refused before it is inflated', async () => {
  const file = at('big-group.parquet');
  writeParquetFixture(file, embeddings('list'), 'ZSTD', 1000);
  await assertInputError(
    readCheckpoint([file], { memoryBudgetBytes: 40 }),
    file,
    /row group 0 of column '\w+' inflates to \d+ bytes, over the memory budget of 40/,
  );
});
