import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import schema from '../../../../schemas/m2mix.schema.json';
import { InputError } from '../../../../src/core/util/errors';
import { mixTermWeights, loadConfig, parseConfig, recordedConfigWithDefaults } from '../../../../src/core/train/config';
import { trainCommand } from '../../../../src/cli/train';

const dir = mkdtempSync(path.join(tmpdir(), 'el-config-'));
const opts = { baseDir: dir, defaultName: 'run' };
const minimal = { train: 'a.npy', eval: ['b_img.npy', 'b_txt.npy'] };

function problem(raw: unknown): string {
  try {
    parseConfig(raw, 'x.m2mix.json', opts);
  } catch (e) {
    assert.ok(e instanceof InputError);
    assert.ok(!e.message.includes('\n'));
    return e.message;
  }
  assert.fail('accepted');
}

describe('m2mix config', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fills in the schema defaults and resolves paths against the config folder', () => {
    const c = parseConfig(minimal, 'x', opts);
    const props = schema.properties;
    assert.equal(c.tau, props.tau.default);
    assert.equal(c.tauM, props.tauM.default);
    assert.equal(c.beta, props.beta.default);
    assert.equal(c.batchSize, props.batchSize.default);
    assert.equal(c.weights.m2, props.weights.properties.m2.default);
    assert.deepEqual(c.train, [path.join(dir, 'a.npy')]);
    assert.deepEqual(c.eval, [path.join(dir, 'b_img.npy'), path.join(dir, 'b_txt.npy')]);
    assert.equal(c.out, path.join(dir, 'runs'));
    assert.equal(c.name, 'run');
  });

  it('holds the paper defaults', () => {
    const c = parseConfig(minimal, 'x', opts);
    assert.deepEqual([c.tau, c.tauM, c.beta, c.weightDecay, c.warmup, c.batchSize], [0.01, 0.07, 0.5, 0.2, 0.1, 128]);
  });

  it('names unknown keys, bad types and out-of-range values in one line', () => {
    assert.match(problem({ ...minimal, tua: 0.1 }), /unknown key "tua"/);
    assert.match(problem({ ...minimal, weights: { m3: 1 } }), /unknown key "weights\.m3"/);
    assert.match(problem({ ...minimal, tau: 0 }), /"tau" must be >= 0.0001/);
    assert.match(problem({ ...minimal, tauM: 1e-30 }), /"tauM" must be >= 0.0001/);
    assert.match(problem({ ...minimal, lr: JSON.parse('1e999') }), /"lr" must be a finite number, got Infinity/);
    assert.match(problem({ ...minimal, weights: { v: -Infinity } }), /"weights\.v" must be a finite number/);
    assert.match(problem({ ...minimal, warmup: 1 }), /"warmup" must be < 1/);
    assert.match(problem({ ...minimal, epochs: 1.5 }), /"epochs" must be integer/);
    assert.match(problem({ ...minimal, loss: 'mixup' }), /"loss" must be one of/);
    assert.match(problem({ ...minimal, name: '../up' }), /"name"/);
    assert.match(problem({ train: 'a.npy' }), /missing required key "eval"/);
    assert.match(problem({ ...minimal, train: [] }), /"train" needs at least 1/);
  });

  it('defaults to the tfjs engine on heads, and fills in the torch engine keys', () => {
    const c = parseConfig(minimal, 'x', opts);
    assert.deepEqual(
      [c.engine, c.model, c.imageColumn, c.captionColumn, c.freeze, c.precision, c.workers, c.devices, c.nodes],
      ['tfjs', 'heads', 'filepath', 'title', [], 'fp32', 2, 'auto', { count: 1 }],
    );
  });

  it('takes each kind of model and resolves the paths in it against the config folder', () => {
    const full = { engine: 'torch', train: 'train.csv', eval: 'eval.tsv' };
    const model = (m: unknown) => parseConfig({ ...full, model: m }, 'x', opts).model;
    assert.deepEqual(model({ openClip: 'ViT-B-32', pretrained: 'laion2b_s34b_b79k' }), {
      openClip: 'ViT-B-32',
      pretrained: 'laion2b_s34b_b79k',
    });
    assert.deepEqual(model({ openClip: 'ViT-B-32', pretrained: 'weights/vit.pt' }), {
      openClip: 'ViT-B-32',
      pretrained: path.join(dir, 'weights/vit.pt'),
    });
    assert.deepEqual(model({ huggingFace: 'clip-small' }), { huggingFace: path.join(dir, 'clip-small') });
    assert.deepEqual(model({ factory: 'models/mine.py:build' }), {
      factory: `${path.join(dir, 'models/mine.py')}:build`,
    });
    assert.deepEqual(parseConfig({ ...full, model: { huggingFace: 'm' } }, 'x', opts).train, [
      path.join(dir, 'train.csv'),
    ]);
    assert.equal(parseConfig({ ...minimal, engine: 'torch' }, 'x', opts).model, 'heads');
  });

  it('names what is wrong with a model, devices or nodes in one line', () => {
    assert.match(
      problem({ ...minimal, model: 'vit' }),
      /^x\.m2mix\.json: "model" must be "heads" or an object with "openClip" or an object with "huggingFace" or an object with "factory", got "vit"$/,
    );
    assert.match(problem({ ...minimal, model: {} }), /"model" must be "heads" or .*, got object$/);
    assert.match(
      problem({ ...minimal, model: { openClip: 'ViT-B-32', bogus: 1 } }),
      /unknown key "model\.bogus" \(known: openClip, pretrained\)/,
    );
    assert.match(problem({ ...minimal, model: { openClip: '' } }), /"model\.openClip" must not be empty/);
    assert.match(problem({ ...minimal, model: { factory: 'mine.py' } }), /"model\.factory" "mine\.py" does not match/);
    assert.match(problem({ ...minimal, devices: 0 }), /"devices" must be >= 1, got 0/);
    assert.match(problem({ ...minimal, devices: 'all' }), /"devices" must be "auto" or integer or array, got "all"/);
    assert.match(problem({ ...minimal, devices: [0, -1] }), /"devices\[1\]" must be >= 0/);
    assert.match(problem({ ...minimal, devices: [1, 1] }), /"devices" lists a CUDA device twice/);
    assert.match(problem({ ...minimal, precision: 'fp16' }), /"precision" must be one of "fp32", "bf16", "amp"/);
    assert.match(
      problem({ ...minimal, nodes: { count: 2 } }),
      /"nodes\.rendezvous" \(host:port of the first node\) is needed for 2 nodes/,
    );
    assert.match(
      problem({ ...minimal, nodes: { count: 2, rendezvous: 'head' } }),
      /"nodes\.rendezvous" "head" does not match/,
    );
  });

  it('refuses a full model on the tfjs engine, and embedding files for a full model', () => {
    assert.equal(
      problem({ ...minimal, model: { openClip: 'ViT-B-32' } }),
      'x.m2mix.json: "model" { "openClip": … } needs "engine": "torch" (the tfjs engine trains heads on frozen embeddings only)',
    );
    assert.equal(
      problem({ ...minimal, engine: 'torch', model: { huggingFace: 'm' } }),
      'x.m2mix.json: "train" must be one CSV/TSV file of image paths and captions for a full model, got a.npy',
    );
    assert.match(
      problem({ engine: 'torch', model: { huggingFace: 'm' }, train: 'a.csv', eval: ['b.csv', 'c.csv'] }),
      /"eval" must be one CSV\/TSV file .*, got b\.csv, c\.csv$/,
    );
  });

  it('uses only the mixup terms of the chosen loss', () => {
    const w = { m2: 0.1, v: 0.2, l: 0.3, vl: 0.4 };
    assert.deepEqual(mixTermWeights({ loss: 'clip', weights: w }), { m2mix: 0, vmix: 0, lmix: 0, vlmix: 0 });
    assert.deepEqual(mixTermWeights({ loss: 'm2mix', weights: w }), { m2mix: 0.1, vmix: 0, lmix: 0, vlmix: 0 });
    assert.deepEqual(mixTermWeights({ loss: 'm3mix', weights: w }), { m2mix: 0.1, vmix: 0.2, lmix: 0.3, vlmix: 0.4 });
  });

  it('loads a file, names the run after it, and lets overrides replace keys', async () => {
    const file = path.join(dir, 'coco.m2mix.json');
    writeFileSync(file, JSON.stringify({ ...minimal, weights: { v: 0.3 } }));
    const c = await loadConfig(file, { tau: 0.05, weights: { m2: 0.2 } });
    assert.equal(c.name, 'coco');
    assert.equal(c.tau, 0.05);
    assert.deepEqual(c.weights, { m2: 0.2, v: 0.3, l: 0.05, vl: 0.05 });
    writeFileSync(file, '{ "train": ');
    await assert.rejects(loadConfig(file), /coco\.m2mix\.json: not valid JSON/);
  });
});

describe('train command', () => {
  async function run(args: string[]): Promise<{ code: number; stderr: string }> {
    const write = process.stderr.write.bind(process.stderr);
    let stderr = '';
    process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
    try {
      return { code: await trainCommand(args), stderr };
    } finally {
      process.stderr.write = write;
    }
  }

  it('says a flag lacks its value instead of taking the next flag as the value', async () => {
    const { code, stderr } = await run(['--train', 'a.npy', '--eval', 'b.npy', '--lr', '--backend', 'wasm']);
    assert.equal(code, 2);
    assert.equal(stderr, 'embedding-lens: option --lr needs a value\n');
  });

  for (const args of [
    ['--train', 'a.npy'],
    ['--train', 'a.npy', '--eval', 'b.npy', '--tau', 'abc'],
    ['--train', 'a.npy', '--eval', 'b.npy', '--weights', 'x=1'],
    ['--bogus', '1'],
    ['missing.m2mix.json'],
  ]) {
    it(`rejects ${args.join(' ')} with one line and exit 2`, async () => {
      const { code, stderr } = await run(args);
      assert.equal(code, 2);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
    });
  }
});

describe('a config recorded by an earlier version', () => {
  it('gets the keys added since with their defaults, so a resume does not report them as changed', () => {
    const now = parseConfig({ train: 'a.npy', eval: 'b.npy' }, 'x', opts) as unknown as Record<string, unknown>;
    const recorded = { ...now };
    for (const key of ['engine', 'model', 'precision', 'devices', 'freeze']) delete recorded[key];
    const filled = recordedConfigWithDefaults(recorded);
    for (const key of ['engine', 'model', 'precision', 'devices', 'freeze'])
      assert.deepEqual(filled[key], now[key], key);
    assert.equal(filled.lr, now.lr);
  });
});
