/**
 * The torch engine's launcher against a scripted engine (test/fixtures/fake_engine): the events,
 * the failures and the cancel path of python/README.md, including ranks that ignore SIGTERM, which
 * a real engine does too rarely to test. Needs python3 and nothing else.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SharedCancelToken } from '../../../../src/core/util/cancel';
import { CancelledError, InputError } from '../../../../src/core/util/errors';
import { parseConfig } from '../../../../src/core/train/config';
import type { RunEvent } from '../../../../src/core/train/events';
import {
  RankError,
  runTorchEmbedding,
  runTorchTraining,
  TorchUnavailableError,
  type TorchNote,
} from '../../../../src/core/torch/engine';
import { probeTorch } from '../../../../src/core/torch/python';
import { noScriptedEnginePython, scriptedEngineDir, scriptedEnginePython } from '../../../helpers/scriptedEngine';

const python = scriptedEnginePython;
const fake = scriptedEngineDir;
const noPython = noScriptedEnginePython;

const dir = mkdtempSync(path.join(tmpdir(), 'el-torch-engine-'));
const recordFile = path.join(dir, 'record.jsonl');
const savedEnv = { ...process.env };

interface Record {
  argv: string[];
  pid: number;
  pgid: number;
  env: { [k: string]: string | null };
}
/** The processes a run started, without the probe's. */
const records = (): Record[] =>
  (existsSync(recordFile)
    ? readFileSync(recordFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record)
    : []
  ).filter((r) => r.argv[0] !== 'info');

function scenario(name: string, extra: { [k: string]: string } = {}): void {
  Object.assign(process.env, { FAKE_ENGINE: name, ...extra });
}

const config = (extra: { [k: string]: unknown } = {}) =>
  parseConfig({ train: 'a.npy', eval: 'b.npy', engine: 'torch', name: 'fake', ...extra }, 'x', {
    baseDir: dir,
    defaultName: 'run',
  });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A killed rank reparented to a PID 1 that does not reap stays a zombie: dead all the same.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('torch engine launcher (scripted engine)', { skip: noPython }, () => {
  before(() => {
    process.env.EMBEDDING_LENS_PYTHON_PACKAGE = fake;
    process.env.FAKE_ENGINE_RECORD = recordFile;
  });
  beforeEach(() => {
    rmSync(recordFile, { force: true });
    for (const k of ['FAKE_ENGINE', 'FAKE_ENGINE_INFO', 'FAKE_ENGINE_CUDA', 'FAKE_ENGINE_FAILING_RANK'])
      delete process.env[k];
  });
  after(() => {
    process.env = savedEnv;
    rmSync(dir, { recursive: true, force: true });
  });

  it('probes the interpreter, and says in one line why it cannot run the engine', async () => {
    const ok = await probeTorch(python);
    assert.ok(ok.ok && ok.info.torch === '9.9.9');
    scenario('complete', { FAKE_ENGINE_INFO: 'no-torch' });
    const noTorch = await probeTorch(python);
    assert.ok(
      !noTorch.ok && noTorch.reason.endsWith(': torch is not installed (pip install torch)'),
      JSON.stringify(noTorch),
    );
    assert.deepEqual(await probeTorch('/nonexistent/python'), {
      ok: false,
      python: '/nonexistent/python',
      reason: 'no Python at /nonexistent/python: set embeddingLens.pythonPath or --python',
    });
    scenario('complete', { FAKE_ENGINE_INFO: 'crash' });
    const crash = await probeTorch(python);
    assert.ok(
      !crash.ok &&
        crash.reason.endsWith("could not run the torch engine's package: ImportError: cannot import name 'x'"),
      JSON.stringify(crash),
    );
    scenario('complete', { FAKE_ENGINE_INFO: 'hang' });
    const hang = await probeTorch(python, { timeoutMs: 500 });
    assert.ok(!hang.ok && /did not answer within 1 s/.test(hang.reason), JSON.stringify(hang));
  });

  it('streams the events, passes other lines to the log, resolves the summary and leaves no cancel file', async () => {
    scenario('complete');
    const events: (RunEvent | TorchNote)[] = [];
    const log: string[] = [];
    const summary = await runTorchTraining(config(), {
      python,
      onEvent: (e) => events.push(e),
      onLog: (l, s) => log.push(`${s}: ${l}`),
    });
    assert.deepEqual(
      events.map((e) => e.type),
      ['start', 'step', 'step', 'step', 'note', 'eval', 'checkpoint'],
    );
    const step = events[1] as Extract<RunEvent, { type: 'step' }>;
    assert.deepEqual([step.ranks, step.samples_per_s], [1, 1000]);
    assert.deepEqual(summary, {
      runDir: '/runs/fake',
      status: 'completed',
      epochs: 1,
      steps: 3,
      bestEpoch: 1,
      bestMetric: 'mean_R@1',
      bestValue: 50,
    });
    assert.ok(log.includes("stdout: a library's print, not an event"));
    assert.ok(log.includes('stderr: a warning on stderr'));
    const [run] = records();
    assert.equal(run.env.PYTHONPATH!.split(path.delimiter)[0], fake);
    // No config file given: the resolved config went to a temporary one, removed with the cancel file's folder.
    assert.equal(run.argv[0], 'train');
    assert.match(run.argv[1], /fake\.m2mix\.json$/);
    assert.equal(path.dirname(run.argv[1]), path.dirname(run.env.EMBEDDING_LENS_CANCEL_FILE!));
    assert.ok(!existsSync(path.dirname(run.env.EMBEDDING_LENS_CANCEL_FILE!)));
    assert.notEqual(run.pgid, process.pid, 'the engine runs in its own process group');
  });

  it('runs 2 ranks through torchrun on a free local port', async () => {
    scenario('complete');
    const summary = await runTorchTraining(config({ devices: 2 }), {
      python,
      configFile: '/data/x.m2mix.json',
      overrides: { lr: 0.5 },
    });
    assert.equal(summary.status, 'completed');
    const [launcher, ...ranks] = records();
    assert.equal(launcher.argv[0], 'torch.distributed.run');
    assert.match(launcher.argv[launcher.argv.indexOf('--rdzv_endpoint') + 1], /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(ranks.map((r) => r.env.RANK).sort(), ['0', '1']);
    assert.deepEqual(ranks[0].argv, ['train', '/data/x.m2mix.json', '--overrides', '{"lr":0.5}']);
  });

  it('cancels through the cancel file: the ranks stop at a step boundary and report it', async () => {
    scenario('until-cancelled');
    const token = new SharedCancelToken();
    let steps = 0;
    const summary = await runTorchTraining(config({ devices: 2 }), {
      python,
      token,
      onEvent: (e) => {
        if (e.type === 'step' && ++steps === 3) token.cancel();
      },
    });
    assert.equal(summary.status, 'cancelled');
    assert.ok(!existsSync(path.dirname(records()[1].env.EMBEDDING_LENS_CANCEL_FILE!)));
  });

  it('ends ranks that ignore the cancel and SIGTERM with SIGKILL to the group', async () => {
    scenario('hang');
    const token = new SharedCancelToken();
    const started = Date.now();
    const run = runTorchTraining(config({ devices: 2 }), {
      python,
      token,
      stopGraceMs: 300,
      killGraceMs: 300,
      onEvent: (e) => e.type === 'start' && token.cancel(),
    });
    await assert.rejects(run, CancelledError);
    assert.ok(Date.now() - started < 15_000);
    const pids = records().map((r) => r.pid);
    assert.equal(pids.length, 3);
    assert.deepEqual(pids.filter(alive), [], 'every process of the group is gone');
  });

  it("rejects with the failing rank's line, pointing at its traceback file", async () => {
    scenario('raise', { FAKE_ENGINE_FAILING_RANK: '1' });
    const log: string[] = [];
    const err = await runTorchTraining(config({ devices: 2 }), { python, onLog: (l) => log.push(l) }).catch(
      (e: unknown) => e,
    );
    assert.ok(err instanceof RankError, String(err));
    assert.equal(err.message, 'rank 1: ValueError: boom');
    assert.equal(err.tracebackFile, path.join(dir, 'runs', 'fake', 'rank-1.traceback.txt'));
    assert.ok(log.includes('Traceback (most recent call last):'), 'the traceback goes to the log');
  });

  it('turns an input error of a rank into an InputError', async () => {
    scenario('input-error');
    await assert.rejects(
      runTorchTraining(config(), { python }),
      (e: unknown) => e instanceof InputError && e.message === "data.csv: has no column 'title'",
    );
  });

  it('says in one line how an engine that ended without a summary ended', async () => {
    scenario('silent-exit');
    await assert.rejects(runTorchTraining(config(), { python }), {
      message: 'the torch engine exited with code 3 before its summary: something went wrong in a library',
    });
    scenario('port-taken');
    await assert.rejects(
      runTorchTraining(config({ devices: 2, nodes: { count: 2, rendezvous: 'head:29400' } }), {
        python,
        configFile: '/data/x.m2mix.json',
      }),
      (e: unknown) =>
        e instanceof InputError &&
        e.message ===
          '/data/x.m2mix.json: the rendezvous port of "nodes.rendezvous" (head:29400) is taken: pick another port',
    );
  });

  it('refuses a missing interpreter, a device list this node lacks, and a cancel before the start', async () => {
    await assert.rejects(
      runTorchTraining(config(), { python: '/nonexistent/python' }),
      (e: unknown) =>
        e instanceof TorchUnavailableError &&
        e.message === 'no Python at /nonexistent/python: set embeddingLens.pythonPath or --python',
    );
    // An interpreter removed between its probe and the run.
    const probed = await probeTorch(python);
    assert.ok(probed.ok);
    await assert.rejects(
      runTorchTraining(config(), { python: '/nonexistent/python', info: probed.info }),
      (e: unknown) =>
        e instanceof TorchUnavailableError &&
        e.message === 'no Python at /nonexistent/python: set embeddingLens.pythonPath or --python',
    );
    scenario('complete', { FAKE_ENGINE_CUDA: '2' });
    await assert.rejects(
      runTorchTraining(config({ devices: [1, 2] }), { python, configFile: 'c.json' }),
      /^InputError: c\.json: "devices" names CUDA device 2, but .* sees 2 CUDA device\(s\)$/,
    );
    const token = new SharedCancelToken();
    token.cancel();
    await assert.rejects(runTorchTraining(config(), { python, token }), CancelledError);
    assert.deepEqual(
      records().filter((r) => r.argv[0] === 'train'),
      [],
      'nothing was launched',
    );
  });

  it('embeds a dataset with progress events', async () => {
    scenario('complete');
    const progress: number[] = [];
    const out = path.join(dir, 'emb.safetensors');
    const result = await runTorchEmbedding(
      { model: { openClip: 'ViT-B-32' }, data: '/d/data.csv', out, batchSize: 64 },
      { python, onEvent: (e) => e.type === 'progress' && progress.push(e.done) },
    );
    assert.deepEqual(result, { file: out, images: 3, texts: 6 });
    assert.deepEqual(progress, [1, 2, 3]);
    const embed = records().find((r) => r.argv[0] === 'embed')!;
    assert.deepEqual(embed.argv, [
      'embed',
      '--model',
      '{"openClip":"ViT-B-32"}',
      '--data',
      '/d/data.csv',
      '--out',
      out,
      '--batch-size',
      '64',
    ]);
  });
});
