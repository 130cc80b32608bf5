/** The CLI on the formats beyond numpy and safetensors: folders, .pt, Parquet; --json says what ran and how long it took. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { before, it } from 'node:test';
import { generateSample } from '../../../src/core/synthetic/sampleCheckpoint';
import { writeNpy } from '../../../src/core/writers';
import { tempDir } from '../../helpers/readerFixtures';
import { listRows, writeParquetFixture } from '../../helpers/tableFixtures';
import { repoRoot } from '../../helpers/repoRoot';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const dir = tempDir();
const clip = path.join(dir, 'clip-out');
const dim = 8;

before(async () => {
  const { image, text } = generateSample({ pairs: 40, dim, seed: 5 });
  for (const side of ['img_emb', 'text_emb']) mkdirSync(path.join(clip, side), { recursive: true });
  for (let k = 0; k < 2; k++) {
    const span = [k * 20 * dim, (k + 1) * 20 * dim] as const;
    await writeNpy(path.join(clip, 'img_emb', `img_emb_${k}.npy`), [20, dim], image.data.subarray(...span), {
      dtype: 'float16',
    });
    await writeNpy(path.join(clip, 'text_emb', `text_emb_${k}.npy`), [20, dim], text.data.subarray(...span), {
      dtype: 'float16',
    });
  }
  writeParquetFixture(
    path.join(dir, 'pairs.parquet'),
    {
      image_embeds: { kind: 'fixed', rows: listRows(image.data, dim) },
      text_embeds: { kind: 'fixed', rows: listRows(text.data, dim) },
    },
    'ZSTD',
    16,
  );
});

const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });

it('analyze --json on a clip-retrieval folder and on Parquet: the same pairs, with the backend and the seconds', () => {
  const results = [clip, path.join(dir, 'pairs.parquet')].map((input) => {
    const r = run('analyze', input, '--backend', 'wasm', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    return JSON.parse(r.stdout) as { n: number; backend: string; seconds: number; modality_gap: number };
  });
  for (const r of results) {
    assert.equal(r.n, 40);
    assert.equal(r.backend, 'wasm');
    assert.ok(r.seconds > 0 && r.seconds < 60, String(r.seconds));
  }
  // The folder's shards are float16, the Parquet float32: the same geometry to float16's precision.
  assert.ok(Math.abs(results[0].modality_gap - results[1].modality_gap) < 1e-2);
});

it('a folder that is no checkpoint: exit 2 and one line listing what it holds', () => {
  const r = run('analyze', path.join(clip, 'img_emb'), '--backend', 'wasm');
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /^embedding-lens: [^\n]*img_emb: is a folder Embedding Lens cannot read as one checkpoint: it holds img_emb_0\.npy, img_emb_1\.npy \(/,
  );
  assert.equal(r.stderr.split('\n').length, 2);
});
