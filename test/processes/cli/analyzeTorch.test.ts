/**
 * `embedding-lens analyze --engine torch` against `--engine tfjs`: every metric to 1e-4 on the shared
 * reference files and on generated sets (one caption per image and several), ranks exactly where
 * the arithmetic is exact. Runs where EMBEDDING_LENS_TEST_PYTHON names an interpreter with torch;
 * skipped, saying why, elsewhere.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeNpy } from '../../../src/core/writers';
import { torchEngineSkipReason, torchEnginePython } from '../../helpers/torchEngine';
import { writeSampleCaptionsSafetensors, writeSamplePairsNpy } from '../../helpers/samplePairsNpy';
import { repoRoot } from '../../helpers/repoRoot';
import { fixtureDim, fixtureSet, writeClassificationNpz } from '../../helpers/classificationFixtures';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const shared = path.join(repoRoot, '..', 'shared', 'data');
const python = torchEnginePython;

const dir = mkdtempSync(path.join(tmpdir(), 'el-cli-analyze-torch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Json = { [key: string]: number | string | Json };

function analyze(file: string, engine: 'tfjs' | 'torch', command = 'analyze', more: string[] = []): Promise<Json> {
  return analyzeWithStderr(file, engine, command, more).then((r) => r.json);
}

async function analyzeWithStderr(
  file: string,
  engine: 'tfjs' | 'torch',
  command = 'analyze',
  more: string[] = [],
): Promise<{ json: Json; stderr: string }> {
  const { stdout, stderr } = await run(file, engine, command, [...more, '--json']);
  return { json: JSON.parse(stdout) as Json, stderr };
}

function run(
  file: string,
  engine: 'tfjs' | 'torch',
  command: string,
  more: string[],
): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cli, command, file, ...more, '--engine', engine, '--python', python!], {
    env: { ...process.env, EMBEDDING_LENS_PYTHON_PACKAGE: '', OMP_NUM_THREADS: '2' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) =>
    child.on('close', (code) =>
      code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`${engine} exited ${String(code)}: ${stderr}`)),
    ),
  );
}

/** Same keys; numbers within `tol`, and those of i2t/t2i (R@K points, ranks) within `rankTol`. */
function assertAgree(torch: Json, tfjs: Json, tol: number, rankTol: number, where = ''): void {
  const keys = (j: Json) =>
    Object.keys(j)
      .filter((k) => k !== 'seconds')
      .sort();
  assert.deepEqual(keys(torch), keys(tfjs), `keys of ${where || 'the result'}`);
  const retrieval = where === '.i2t' || where === '.t2i';
  for (const [key, want] of Object.entries(tfjs)) {
    if (['engine', 'backend', 'seconds'].includes(key)) continue;
    const got = torch[key];
    if (typeof want === 'object') assertAgree(got as Json, want, tol, rankTol, `${where}.${key}`);
    else
      assert.ok(
        Math.abs((got as number) - (want as number)) <= (retrieval ? rankTol : tol),
        `${where}.${key}: torch ${String(got)}, tfjs ${String(want)}`,
      );
  }
}

async function bothAgree(file: string, rankTol: number): Promise<void> {
  const [tfjs, torch] = [await analyze(file, 'tfjs'), await analyze(file, 'torch')];
  assert.equal(tfjs.engine, 'tfjs');
  assert.equal(torch.engine, 'torch');
  assertAgree(torch, tfjs, 1e-4, rankTol);
}

/** Rows of four ±1 entries: unit rows hold ±0.5, so every score is an exact multiple of 1/4 and ties abound. */
function exactRows(n: number, dim: number, seed: number): Float32Array {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    const taken = new Set<number>();
    while (taken.size < 4) taken.add(Math.floor(next() * dim));
    for (const c of taken) out[r * dim + c] = next() < 0.5 ? -1 : 1;
  }
  return out;
}

describe('analyze --engine torch agrees with --engine tfjs', () => {
  let skip: string | false = false;
  before(async () => {
    skip = await torchEngineSkipReason();
    if (skip) process.stdout.write(`# skipping the torch analysis agreement tests: ${skip}\n`);
  });

  for (const name of ['clip-vitb16-coco500', 'clip-random-init-coco500']) {
    it(`on ${name}.npy (recall within one query: its near-ties are float32 rounding, METRICS.md)`, async (t) => {
      const file = path.join(shared, `${name}.npy`);
      if (skip || !existsSync(file)) return t.skip(skip || `${file} is absent`);
      await bothAgree(file, 100 / 500 + 1e-9);
    });
  }

  it('on 20,000 generated pairs (ranks within two queries: near-ties round differently in the two float32 products)', async (t) => {
    if (skip) return t.skip(skip);
    const file = path.join(dir, 'pairs.npy');
    await writeSamplePairsNpy(file, 20_000, 32, 3);
    await bothAgree(file, 200 / 20_000);
  });

  it('with several captions per image', async (t) => {
    if (skip) return t.skip(skip);
    const file = path.join(dir, 'captions.safetensors');
    writeSampleCaptionsSafetensors(file, { pairs: 600, dim: 48, seed: 4, captionsPerImage: 3 });
    await bothAgree(file, 200 / 1_800);
  });

  it('ranks exactly on exact-arithmetic inputs full of ties', async (t) => {
    if (skip) return t.skip(skip);
    const [n, dim] = [300, 12];
    const image = exactRows(n, dim, 5);
    const text = exactRows(n, dim, 6);
    for (let r = 0; r < n; r += 3) text.set(image.subarray(r * dim, (r + 1) * dim), r * dim);
    const both = new Float32Array(2 * n * dim);
    both.set(image);
    both.set(text, n * dim);
    const file = path.join(dir, 'exact.npy');
    await writeNpy(file, [2, n, dim], both);
    await bothAgree(file, 0);
  });

  it('pairs beside classes: the zero-shot figures join the JSON as on tfjs', async (t) => {
    if (skip) return t.skip(skip);
    const file = path.join(dir, 'pairs-and-classes.npz');
    const texts = fixtureSet(60, 5).image.data.slice();
    const images = fixtureSet(60, 6).image.data.slice();
    // A bad text skips its pair but keeps the image's label; a bad image drops both.
    texts.fill(NaN, 7 * fixtureDim, 8 * fixtureDim);
    images.fill(NaN, 2 * fixtureDim, 3 * fixtureDim);
    await writeClassificationNpz(
      file,
      {
        text_embeds: { shape: [60, fixtureDim], data: texts },
        image_embeds: { shape: [60, fixtureDim], data: images },
      },
      60,
      6,
    );
    const [tfjs, torch] = [await analyze(file, 'tfjs'), await analyze(file, 'torch')];
    assert.equal(torch.engine, 'torch');
    assert.equal((torch.zero_shot as Json).n, 59);
    assert.equal(torch.n_image, 58);
    assertAgree(torch, tfjs, 1e-4, 100 / 60);
    // The readable table (worst classes with their image counts) from the engine's detail file.
    const table = async (engine: 'tfjs' | 'torch') => {
      const { stdout } = await run(file, engine, 'analyze', []);
      return stdout.slice(stdout.indexOf('  zero-shot classification'));
    };
    const [tfjsTable, torchTable] = [await table('tfjs'), await table('torch')];
    assert.match(torchTable, /worst classes: class \d+ [\d.]+ % \(\d+ images\)/);
    assert.equal(torchTable, tfjsTable);
  });

  it('a classification set without texts runs on tfjs, with a note when torch was asked for', async (t) => {
    if (skip) return t.skip(skip);
    const file = path.join(dir, 'classes.npz');
    await writeClassificationNpz(file);
    const [tfjs, torch] = [await analyzeWithStderr(file, 'tfjs'), await analyzeWithStderr(file, 'torch')];
    assert.equal(
      torch.stderr,
      'note: a classification set without texts is analysed on tfjs: the torch engine analyses pairs\n',
    );
    const { seconds: _s, ...same } = torch.json;
    const { seconds: _t, ...want } = tfjs.json;
    assert.deepEqual(same, want);
  });

  it('compare: the same table on both engines', async (t) => {
    if (skip) return t.skip(skip);
    const [a, b] = [path.join(dir, 'a.npy'), path.join(dir, 'b.npy')];
    await writeSamplePairsNpy(a, 1_500, 32, 7);
    await writeSamplePairsNpy(b, 1_500, 32, 8);
    const [tfjs, torch] = [await analyze(a, 'tfjs', 'compare', [b]), await analyze(a, 'torch', 'compare', [b])];
    const metrics = (j: Json) => j.metrics as Record<string, { values: Record<string, number> }>;
    assert.deepEqual(Object.keys(metrics(torch)), Object.keys(metrics(tfjs)));
    for (const [key, row] of Object.entries(metrics(tfjs))) {
      // A recall or rank row moves by 100/N per query whose near-tie rounds the other way.
      const tol = /R@|rank/.test(key) ? 200 / 1_500 : 1e-4;
      for (const [name, v] of Object.entries(row.values))
        assert.ok(
          Math.abs(metrics(torch)[key].values[name] - v) <= tol,
          `${key} of ${name}: torch ${metrics(torch)[key].values[name]}, tfjs ${v}`,
        );
    }
  });
});

describe('analyze --engine torch refuses in one line', () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [cli, 'analyze', ...args, '--engine', 'torch']);
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });

  it('without a Python, naming the interpreter', async () => {
    const file = path.join(dir, 'small.npy');
    await writeSamplePairsNpy(file, 10, 4, 1);
    const r = await run([file, '--python', '/nonexistent/python3']);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      'embedding-lens: --engine torch: no Python at /nonexistent/python3: set embeddingLens.pythonPath or --python\n',
    );
  });

  it('on a format only the TypeScript readers know', async () => {
    const file = path.join(dir, 'weights.pt');
    writeFileSync(file, 'not read');
    const r = await run([file]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `embedding-lens: ${file}: the torch engine reads .npy, .npz and .safetensors, not '.pt' (use --engine tfjs)\n`,
    );
  });
});
