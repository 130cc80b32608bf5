/** The editor's side of the torch engine that needs no host: interpreter order, trust, scaffold, names, dashboard facts. */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { TorchInfo, TorchProbe } from '../../../../src/core/torch/python';
import { parseConfig } from '../../../../src/core/train/config';
import { csvHeader, embeddingOutputFile, factoryFunctions, modelFileLabel } from '../../../../src/extension/python/datasetModel';
import { findPython, pythonEnvironmentsApi, selectedInterpreter, torchSummary, type PythonExtensionHandle } from '../../../../src/extension/python/pythonDiscovery';
import { embeddingBlockedReason, trainingBlockedReason, untrustedTorchReason } from '../../../../src/extension/python/workspaceTrustGate';
import { applyEvent, applyNote, emptySnapshot, torchDeviceLabel } from '../../../../src/extension/training/runState';
import { scaffoldConfig } from '../../../../src/extension/training/scaffold';

/** A Python extension whose environments API selects `executable`, counting what was asked of it. */
function fakePythonExtension(executable: string | undefined, opts: { active?: boolean; throws?: boolean } = {}) {
  const calls = { activate: 0, getActive: [] as unknown[], resolve: 0 };
  const environments = {
    getActiveEnvironmentPath(resource?: unknown) {
      calls.getActive.push(resource);
      if (opts.throws) throw new Error('the Python extension is not ready');
      return { id: 'env', path: executable ?? '' };
    },
    async resolveEnvironment() {
      calls.resolve++;
      return executable === undefined ? undefined : { executable: { uri: { fsPath: executable } } };
    },
  };
  const handle: PythonExtensionHandle = {
    isActive: opts.active ?? true,
    exports: opts.active === false ? undefined : { environments },
    async activate() {
      calls.activate++;
      return { environments };
    },
  };
  return { handle, calls };
}

describe('finding the torch engine\'s Python', () => {
  const env = {};

  it('takes embeddingLens.pythonPath first, without asking (or activating) the Python extension', async () => {
    const ext = fakePythonExtension('/venv/bin/python', { active: false });
    assert.deepEqual(await findPython({ setting: ' /opt/py/bin/python3 ', pythonExtension: ext.handle, env }), { python: '/opt/py/bin/python3', source: 'embeddingLens.pythonPath' });
    assert.deepEqual(ext.calls, { activate: 0, getActive: [], resolve: 0 });
  });

  it('else the interpreter selected in the Python extension, for the resource, activating it when needed', async () => {
    const ext = fakePythonExtension('/ws/.venv/bin/python', { active: false });
    const folder = { fsPath: '/ws' };
    assert.deepEqual(await findPython({ setting: '', pythonExtension: ext.handle, resource: folder, env }), { python: '/ws/.venv/bin/python', source: 'Python extension' });
    assert.equal(ext.calls.activate, 1);
    assert.deepEqual(ext.calls.getActive, [folder]);
  });

  it('else python3 on PATH: no extension, one that throws, one that resolves nothing, or one without the environments API', async () => {
    const path3 = { python: 'python3', source: 'PATH' };
    assert.deepEqual(await findPython({ setting: undefined, pythonExtension: undefined, env }), path3);
    assert.deepEqual(await findPython({ setting: '  ', pythonExtension: fakePythonExtension('/x', { throws: true }).handle, env }), path3);
    assert.deepEqual(await findPython({ setting: '', pythonExtension: fakePythonExtension(undefined).handle, env }), path3);
    const old: PythonExtensionHandle = { isActive: true, exports: { settings: {} }, activate: async () => ({}) };
    assert.deepEqual(await findPython({ setting: '', pythonExtension: old, env }), path3);
    const failing: PythonExtensionHandle = { isActive: false, exports: undefined, activate: () => Promise.reject(new Error('activation failed')) };
    assert.equal(await pythonEnvironmentsApi(failing), undefined);
    assert.equal(await selectedInterpreter(undefined), undefined);
  });

  it('EMBEDDING_LENS_PYTHON comes after the Python extension and before PATH', async () => {
    const withEnv = { EMBEDDING_LENS_PYTHON: '/env/python' };
    assert.equal((await findPython({ setting: '', pythonExtension: fakePythonExtension('/sel/python').handle, env: withEnv })).source, 'Python extension');
    assert.deepEqual(await findPython({ setting: '', pythonExtension: undefined, env: withEnv }), { python: '/env/python', source: 'EMBEDDING_LENS_PYTHON' });
  });
});

const info: TorchInfo = {
  ok: true,
  python: '3.11.2',
  executable: '/usr/bin/python3',
  torch: '1.13.0',
  cuda: [],
  mps: false,
  cpu_threads: 2,
  gloo: true,
  nccl: false,
  open_clip: null,
  transformers: null,
};
const gpus: TorchInfo = {
  ...info,
  cuda: [
    { index: 0, name: 'NVIDIA H200', memory_bytes: 150e9 },
    { index: 1, name: 'NVIDIA H200', memory_bytes: 150e9 },
  ],
  nccl: true,
};

describe('the torch line of the status bar and Show Compute Backend', () => {
  it('names the interpreter, torch, devices and where the interpreter came from', () => {
    const line = torchSummary({ ok: true, info: gpus }, 'Python extension');
    assert.match(line, /^torch engine: torch 1\.13\.0 on Python 3\.11\.2 \(\/usr\/bin\/python3\): cuda:0 NVIDIA H200 \(140 GiB\), cuda:1 .*cpu \(2 threads\); interpreter from the Python extension$/);
  });

  it('says in one line why it is unavailable and how to fix it', () => {
    const noTorch: TorchProbe = { ok: false, python: '/usr/bin/python3', reason: '/usr/bin/python3: torch is not installed (pip install torch)' };
    assert.equal(torchSummary(noTorch, 'PATH'), 'torch engine unavailable: /usr/bin/python3: torch is not installed (pip install torch); or set embeddingLens.pythonPath to an interpreter that has torch');
    assert.match(torchSummary(noTorch, 'Python extension'), /select another interpreter in the Python extension, or set embeddingLens\.pythonPath$/);
    // A reason that already names the setting is not told twice.
    const noPython: TorchProbe = { ok: false, python: 'python3', reason: 'no python3 on PATH: set embeddingLens.pythonPath or --python' };
    assert.equal(torchSummary(noPython, 'PATH'), 'torch engine unavailable: no python3 on PATH: set embeddingLens.pythonPath or --python');
    for (const line of [torchSummary(noTorch, 'PATH'), torchSummary(noPython, 'PATH')]) assert.ok(!line.includes('\n'));
  });
});

describe('workspace trust', () => {
  it('blocks the torch engine and Embed Dataset in an untrusted workspace, never the tfjs engine', () => {
    assert.equal(trainingBlockedReason({ engine: 'torch' }, false), untrustedTorchReason);
    assert.equal(trainingBlockedReason({ engine: 'torch' }, true), undefined);
    assert.equal(trainingBlockedReason({ engine: 'tfjs' }, false), undefined);
    assert.equal(embeddingBlockedReason(false), untrustedTorchReason);
    assert.equal(embeddingBlockedReason(true), undefined);
    assert.ok(!untrustedTorchReason.includes('\n'));
  });
});

describe('fine-tune scaffold for a full model', () => {
  const dir = path.resolve('/ws/project');
  const base = { schemaUri: 'file:///ext/schemas/m2mix.schema.json', configDir: dir, train: path.join(dir, 'data', 'train.csv'), eval: path.join(dir, 'data', 'val.tsv') };
  const opts = { baseDir: dir, defaultName: 'run' };

  it('a heads config has none of the torch engine\'s keys, as before it', () => {
    const raw = JSON.parse(scaffoldConfig({ ...base, train: path.join(dir, 'a.npy'), eval: path.join(dir, 'b.npy') })) as Record<string, unknown>;
    for (const key of ['engine', 'model', 'imageColumn', 'captionColumn', 'freeze', 'precision', 'workers', 'devices', 'nodes']) assert.ok(!(key in raw), `the heads config has ${key}`);
    assert.equal(parseConfig(raw, 'heads', opts).engine, 'tfjs');
  });

  it('writes "engine": "torch", the model with paths relative to the config, the columns, and parses back to the absolute model', () => {
    const cases = [
      { openClip: 'ViT-B-32', pretrained: path.join(dir, 'weights', 'b32.safetensors') },
      { openClip: 'ViT-B-32', pretrained: 'laion2b_s34b_b79k' },
      { huggingFace: path.resolve('/models/clip-base') },
      { factory: `${path.join(dir, 'src', 'model.py')}:build_clip` },
    ];
    const written = cases.map((model) => JSON.parse(scaffoldConfig({ ...base, model, imageColumn: 'image', captionColumn: 'caption', trainPairs: 40 })) as Record<string, unknown>);
    assert.deepEqual(written.map((r) => r.model), [
      { openClip: 'ViT-B-32', pretrained: './weights/b32.safetensors' },
      { openClip: 'ViT-B-32', pretrained: 'laion2b_s34b_b79k' },
      { huggingFace: '../../models/clip-base' },
      { factory: './src/model.py:build_clip' },
    ]);
    const first = written[0];
    assert.deepEqual([first.engine, first.train, first.eval, first.imageColumn, first.captionColumn, first.batchSize], ['torch', './data/train.csv', './data/val.tsv', 'image', 'caption', 32]);
    cases.forEach((model, i) => assert.deepEqual(parseConfig(written[i], `case ${i}`, opts).model, model));
  });
});

describe('Embed Dataset names', () => {
  it('reads a CSV or TSV header with quotes and a byte-order mark', () => {
    assert.deepEqual(csvHeader('\uFEFFfilepath,"title, long","say ""hi"""\r\n', 'a.csv'), ['filepath', 'title, long', 'say "hi"']);
    assert.deepEqual(csvHeader('image\tcaption\n', 'a.TSV'), ['image', 'caption']);
  });

  it('offers the public top-level functions of a factory file', () => {
    assert.deepEqual(factoryFunctions('import torch\ndef build_clip(device="cpu"):\n    def inner(): pass\n\ndef _private():\n    pass\nclass M:\n    def method(self): pass\ndef tokenizer (x): pass\n'), ['build_clip', 'tokenizer']);
  });

  it('writes <csv stem>.<model>.safetensors beside the CSV', () => {
    const csv = path.join('/data', 'coco val.csv');
    assert.equal(embeddingOutputFile(csv, { openClip: 'ViT-B-32' }), path.join('/data', 'coco val.ViT-B-32.safetensors'));
    assert.equal(modelFileLabel({ openClip: 'ViT-B/32', pretrained: '/w/open clip.pt' }), 'ViT-B-32-open-clip');
    assert.equal(modelFileLabel({ openClip: 'ViT-L-14', pretrained: 'openai' }), 'ViT-L-14-openai');
    assert.equal(modelFileLabel({ huggingFace: '/models/clip-vit-base-patch32/' }), 'clip-vit-base-patch32');
    assert.equal(modelFileLabel({ factory: 'C:\\m\\clip.py:build_clip' }), 'build_clip');
  });
});

describe('dashboard facts of a torch run', () => {
  it('keeps the latest ranks and samples/s, ignores a null rate, and keeps notes that came before the start', () => {
    const snap = emptySnapshot('r', '/c.m2mix.json', 1);
    applyNote(snap, 'skipped 3 rows whose image is missing');
    applyEvent(snap, { type: 'start', runDir: '/runs/r', totalSteps: 4, stepsPerEpoch: 4, firstStep: 0, notes: ['froze 12 parameters'] });
    assert.deepEqual(snap.notes, ['skipped 3 rows whose image is missing', 'froze 12 parameters']);
    const step = { type: 'step' as const, epoch: 1, lr: 1e-5, loss: 1, components: { clip: 1 }, lambda: {} };
    applyEvent(snap, { ...step, step: 1, ranks: 2, samples_per_s: 812.5 });
    applyEvent(snap, { ...step, step: 2, ranks: 2, samples_per_s: null as unknown as number });
    assert.deepEqual([snap.ranks, snap.samplesPerSecond, snap.step], [2, 812.5, 2]);
  });

  it('names the device the ranks run on', () => {
    const one = { nodes: { count: 1 }, precision: 'fp32' as const };
    assert.equal(torchDeviceLabel(info, { ...one, devices: 'auto' }), 'CPU (2 threads)');
    assert.equal(torchDeviceLabel({ ...info, cpu_threads: 1 }, { ...one, devices: 'auto' }), 'CPU (1 thread)');
    assert.equal(torchDeviceLabel(info, { ...one, devices: 2 }), '2 CPU processes');
    assert.equal(torchDeviceLabel({ ...info, mps: true }, { ...one, devices: 'auto' }), 'MPS');
    assert.equal(torchDeviceLabel(gpus, { ...one, devices: 'auto', precision: 'bf16' }), '2 × NVIDIA H200, bf16');
    assert.equal(torchDeviceLabel(gpus, { devices: [1], nodes: { count: 4 }, precision: 'fp32' }), '1 × NVIDIA H200 on each of 4 nodes');
  });
});
