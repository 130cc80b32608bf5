import * as assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { describeCheckpointShape } from '../../../../src/core/readers/checkpointShape';
import { readCheckpoint } from '../../../../src/core/readers';
import { writeNpy } from '../../../../src/core/writers';
import { assertInputError, exactValues, tempDir } from '../../../helpers/readerFixtures';
import { writeParquetFixture } from '../../../helpers/tableFixtures';

const root = tempDir();
const dim = 4;
/** Shard sizes: 12 shards, so that numeric order (10 after 9) differs from the names' order. */
const shardRows = [3, 1, 2, 2, 1, 3, 1, 1, 2, 2, 1, 2];
const total = shardRows.reduce((a, b) => a + b, 0);
const image = exactValues(total * dim, 1);
const text = exactValues(total * dim, 4);

/** A clip-retrieval output folder as `clip-retrieval inference` writes it: float16 shards, metadata parquet. */
async function clipRetrievalFolder(name: string, opts: { metadata?: boolean } = {}): Promise<string> {
  const folder = path.join(root, name);
  for (const side of ['img_emb', 'text_emb', 'metadata']) mkdirSync(path.join(folder, side), { recursive: true });
  let row = 0;
  for (const [k, rows] of shardRows.entries()) {
    const span = [row * dim, (row + rows) * dim] as const;
    await writeNpy(path.join(folder, 'img_emb', `img_emb_${k}.npy`), [rows, dim], image.subarray(...span), {
      dtype: 'float16',
    });
    await writeNpy(path.join(folder, 'text_emb', `text_emb_${k}.npy`), [rows, dim], text.subarray(...span), {
      dtype: 'float16',
    });
    if (opts.metadata !== false) {
      const captions = Array.from({ length: rows }, (_, j) => `caption ${row + j}`);
      writeParquetFixture(
        path.join(folder, 'metadata', `metadata_${k}.parquet`),
        { caption: { kind: 'string', rows: captions } },
        'SNAPPY',
      );
    }
    row += rows;
  }
  return folder;
}

test('a clip-retrieval folder reads as one checkpoint, shards in numeric order, with captions', async () => {
  const folder = await clipRetrievalFolder('clip');
  const cp = await readCheckpoint([folder]);
  assert.deepEqual(cp.files, [folder]);
  assert.deepEqual(cp.image.data, image);
  assert.deepEqual(cp.text.data, text);
  assert.equal(cp.captions?.length, total);
  assert.equal(cp.captions?.[total - 1], `caption ${total - 1}`);
  assert.equal(await describeCheckpointShape(folder), `${total} × ${dim}`);
});

test('clip-retrieval folders that do not add up: one line naming the shard', async () => {
  const folder = await clipRetrievalFolder('broken', { metadata: false });
  const shard = (side: string, k: number) => path.join(folder, side, `${side}_${k}.npy`);
  await writeNpy(shard('text_emb', 10), [2, dim], text.subarray(0, 2 * dim));
  await assertInputError(
    readCheckpoint([folder]),
    folder,
    /^shard 10 does not pair up: img_emb\/img_emb_10\.npy has 1 rows, text_emb\/text_emb_10\.npy has 2$/,
  );
  await writeNpy(shard('text_emb', 10), [1, dim + 1], text.subarray(0, dim + 1));
  await assertInputError(
    readCheckpoint([folder]),
    folder,
    /^mixed dimensions: text_emb\/text_emb_10\.npy has 5, img_emb\/img_emb_0\.npy has 4$/,
  );
  rmSync(shard('text_emb', 10));
  await assertInputError(
    readCheckpoint([folder]),
    folder,
    /^text_emb\/text_emb_10\.npy is missing \(img_emb\/img_emb_10\.npy is there\)$/,
  );
  rmSync(shard('img_emb', 10));
  await assertInputError(
    readCheckpoint([folder]),
    folder,
    /^shard 10 is missing from both img_emb\/ and text_emb\/ \(shards run from 0 to 11\)$/,
  );
  rmSync(path.join(folder, 'text_emb'), { recursive: true });
  await assertInputError(readCheckpoint([folder]), folder, /^has img_emb\/ but no text_emb\//);
});

test('a folder of one image file and one text file pairs them; anything else is listed', async () => {
  const folder = path.join(root, 'pair');
  mkdirSync(folder);
  await writeNpy(path.join(folder, 'val_image.npy'), [2, dim], image.subarray(0, 2 * dim));
  await writeNpy(path.join(folder, 'val_text.npy'), [2, dim], text.subarray(0, 2 * dim));
  const cp = await readCheckpoint([folder]);
  assert.deepEqual(cp.files, [folder]);
  assert.deepEqual(cp.text.data, text.subarray(0, 2 * dim));
  await writeNpy(path.join(folder, 'train_image.npy'), [2, dim], image.subarray(0, 2 * dim));
  await assertInputError(
    readCheckpoint([folder]),
    folder,
    /cannot read as one checkpoint: it holds train_image\.npy, val_image\.npy, val_text\.npy \(a folder is read when/,
  );
  const empty = path.join(root, 'empty');
  mkdirSync(empty);
  await assertInputError(readCheckpoint([empty]), empty, /it holds no embedding files/);
});
