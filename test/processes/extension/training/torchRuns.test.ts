/**
 * The editor's torch engine against a stand-in `vscode` and the scripted engine of
 * test/fixtures/fake_engine: the commands' wiring and contributions, Workspace Trust, a run's
 * events into the dashboard snapshot, a rank's error, Cancel, and the launch command and SLURM
 * script. Needs python3 (any: the scripted engine imports nothing).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FakeEventEmitter, installFakeVscode } from '../../../helpers/fakeVscode';
import { noScriptedEnginePython, scriptedEngineDir, scriptedEnginePython } from '../../../helpers/scriptedEngine';
import { repoRoot } from '../../../helpers/repoRoot';

const python = scriptedEnginePython;
const fakeEngine = scriptedEngineDir;
const noPython = noScriptedEnginePython;

const shown: { level: 'error' | 'info' | 'warning'; message: string }[] = [];
const logged: string[] = [];
const clipboard: string[] = [];
/** embeddingLens.pythonPath as the fake configuration answers it. */
let pythonSetting = python;
const workspace = {
  isTrusted: true,
  textDocuments: [],
  workspaceFolders: undefined,
  getWorkspaceFolder: () => undefined,
  fs: {
    stat: async (uri: { fsPath: string }) => statSync(uri.fsPath),
    writeFile: async (uri: { fsPath: string }, data: Uint8Array) => writeFileSync(uri.fsPath, data),
  },
  asRelativePath: (p: unknown) => String(p),
  findFiles: async () => [],
  getConfiguration: () => ({ get: <T>(key: string, fallback: T) => (key === 'pythonPath' ? pythonSetting : fallback) }),
};
const noDisposable = () => ({ dispose() {} });
class CancellationTokenSource {
  private readonly emitter = new FakeEventEmitter<void>();
  readonly token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose(): void {}
}
/** What the user answers to the next QuickPick, open dialog or input box, in order. */
const answers: ((items: unknown) => unknown)[] = [];
const answer = async (items?: unknown) => {
  const next = answers.shift();
  assert.ok(next, 'the command asked more than the test answers');
  return next(await items);
};
const record = (level: 'error' | 'info' | 'warning') => (message: string) => {
  shown.push({ level, message });
  return Promise.resolve(undefined);
};
installFakeVscode({
  workspace,
  extensions: { getExtension: () => undefined, onDidChange: noDisposable },
  window: {
    showErrorMessage: record('error'),
    showInformationMessage: record('info'),
    showWarningMessage: record('warning'),
    withProgress: (_options: unknown, task: (progress: unknown, token: unknown) => unknown) =>
      task({ report() {} }, new CancellationTokenSource().token),
    showTextDocument: () => Promise.resolve(undefined),
    showQuickPick: answer,
    showOpenDialog: () => answer(),
    showInputBox: () => answer(),
  },
  env: { clipboard: { writeText: async (text: string) => void clipboard.push(text) } },
  Uri: {
    file: (fsPath: string) => ({ fsPath, scheme: 'file', toString: () => `file://${fsPath}` }),
    joinPath: (base: { fsPath: string }, ...parts: string[]) => ({
      fsPath: path.join(base.fsPath, ...parts),
      scheme: 'file',
    }),
  },
  CancellationTokenSource,
  ProgressLocation: { Notification: 15, Window: 10 },
  Range: class {},
  CodeLens: class {
    constructor(
      readonly range: unknown,
      readonly command: { title: string; command: string },
    ) {}
  },
});

// After the fake is installed: these load `vscode`, so they cannot be static imports.
/* eslint-disable @typescript-eslint/no-require-imports */
const { commands } =
  require('../../../../src/extension/commands') as typeof import('../../../../src/extension/commands');
const { TorchEnvironment } =
  require('../../../../src/extension/python/torchEnvironment') as typeof import('../../../../src/extension/python/torchEnvironment');
const { TrainingRuns } =
  require('../../../../src/extension/training/trainingRuns') as typeof import('../../../../src/extension/training/trainingRuns');
const { Training, slurmScriptFile } =
  require('../../../../src/extension/training/training') as typeof import('../../../../src/extension/training/training');
const { TrainingCodeLens } =
  require('../../../../src/extension/training/codeLens') as typeof import('../../../../src/extension/training/codeLens');
const { scaffoldRun } =
  require('../../../../src/extension/training/fineTune') as typeof import('../../../../src/extension/training/fineTune');
const { embedDataset } =
  require('../../../../src/extension/python/embedDataset') as typeof import('../../../../src/extension/python/embedDataset');
const { untrustedTorchReason } =
  require('../../../../src/extension/python/workspaceTrustGate') as typeof import('../../../../src/extension/python/workspaceTrustGate');
/* eslint-enable @typescript-eslint/no-require-imports */

interface Contributions {
  contributes: {
    commands: { command: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { properties: Record<string, { scope?: string }> };
  };
  capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } };
}
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Contributions;

describe('command wiring', () => {
  it('registers every contributed command and contributes every registered one', () => {
    assert.deepEqual(Object.keys(commands).sort(), pkg.contributes.commands.map((c) => c.command).sort());
    for (const [menu, entries] of Object.entries(pkg.contributes.menus)) {
      for (const e of entries) assert.ok(e.command in commands, `${menu} names ${e.command}, which is not registered`);
    }
  });

  it('Embed Dataset is offered on CSV/TSV in the Explorer; the launch commands on *.m2mix.json in the palette', () => {
    const explorer = pkg.contributes.menus['explorer/context'].find((e) => e.command === 'embeddingLens.embedDataset');
    assert.match(explorer?.when ?? '', /csv\|tsv/);
    for (const id of ['embeddingLens.copyLaunchCommand', 'embeddingLens.generateSlurmScript']) {
      assert.match(pkg.contributes.menus.commandPalette.find((e) => e.command === id)?.when ?? '', /m2mix/);
    }
  });

  it('hands each torch command its URI', async () => {
    const calls: [string, unknown][] = [];
    const uri = { fsPath: '/w/run.m2mix.json' } as import('vscode').Uri;
    const training = {
      copyLaunchCommand: async (u: unknown) => void calls.push(['copy', u]),
      generateSlurmScript: async (u: unknown) => void calls.push(['slurm', u]),
    };
    const ctx = { training } as unknown as import('../../../../src/extension/commands').CommandContext;
    await commands['embeddingLens.copyLaunchCommand'](ctx, uri);
    await commands['embeddingLens.generateSlurmScript'](ctx, uri);
    assert.deepEqual(calls, [
      ['copy', uri],
      ['slurm', uri],
    ]);
  });

  it('embeddingLens.pythonPath is machine-overridable and not read from an untrusted workspace', () => {
    assert.equal(pkg.contributes.configuration.properties['embeddingLens.pythonPath'].scope, 'machine-overridable');
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.deepEqual(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations, ['embeddingLens.pythonPath']);
  });
});

describe('torch runs in the editor (scripted engine)', { skip: noPython }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'el-torch-runs-'));
  const savedEnv = { ...process.env };
  const log = {
    appendLine: (line: string) => void logged.push(line),
    show() {},
  } as unknown as import('vscode').OutputChannel;
  const configFile = (name: string, extra: Record<string, unknown> = {}) => {
    const file = path.join(dir, `${name}.m2mix.json`);
    writeFileSync(file, JSON.stringify({ train: 'a.npy', eval: 'b.npy', engine: 'torch', ...extra }));
    return file;
  };
  let trained = 0;
  const worker = {
    train: async () => void trained++,
  } as unknown as import('../../../../src/extension/workerClient').WorkerClient;
  const torch = new TorchEnvironment(log);
  const runs = new TrainingRuns(worker, torch, async () => 'wasm', log);

  before(() => {
    process.env.EMBEDDING_LENS_PYTHON_PACKAGE = fakeEngine;
  });
  beforeEach(() => {
    shown.length = logged.length = clipboard.length = 0;
    workspace.isTrusted = true;
    delete process.env.FAKE_ENGINE;
  });
  after(() => {
    process.env = savedEnv;
    runs.dispose();
    torch.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not run the torch engine in an untrusted workspace, and says why in one line', async () => {
    workspace.isTrusted = false;
    const file = configFile('untrusted');
    await runs.start(file, () => assert.fail('the dashboard opened'));
    assert.equal(runs.snapshot(file), undefined);
    assert.deepEqual(shown, [
      { level: 'error', message: `Embedding Lens: untrusted not run: ${untrustedTorchReason}.` },
    ]);
    assert.deepEqual(logged, [], 'something ran');
    // Nor is the interpreter probed for the status bar: it may be the workspace's own.
    const report = await torch.report();
    assert.deepEqual([report.probe.ok, report.summary], [false, `torch engine not run: ${untrustedTorchReason}`]);
    assert.deepEqual(logged, [], 'the probe ran');
  });

  it('runs a tfjs config in an untrusted workspace all the same (in the worker)', async () => {
    workspace.isTrusted = false;
    const before = trained;
    await runs.start(configFile('tfjs', { engine: 'tfjs' }), () => undefined).catch(() => undefined);
    assert.equal(trained, before + 1);
  });

  it('streams a run into the snapshot: engine and device, ranks, samples/s; Cancel stops it at a step boundary', async () => {
    process.env.FAKE_ENGINE = 'until-cancelled';
    const file = configFile('cancel');
    let dashboards = 0;
    const run = runs.start(file, () => dashboards++);
    const deadline = Date.now() + 20000;
    while ((runs.snapshot(file)?.step ?? 0) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(runs.isRunning(file));
    runs.cancel(file);
    await run;
    const snap = runs.snapshot(file)!;
    assert.equal(snap.status, 'cancelled');
    assert.match(snap.message ?? '', /^cancelled at step \d+$/);
    assert.deepEqual(snap.engine, { engine: 'torch', device: 'CPU (2 threads)' });
    assert.deepEqual([snap.ranks, snap.samplesPerSecond], [1, 1000]);
    assert.deepEqual(snap.notes, ['fake engine']);
    assert.equal(dashboards, 1);
    assert.ok(!runs.isRunning(file));
    assert.ok(
      logged.some((l) => /torch engine: torch 9\.9\.9 on Python 3\.11\.2/.test(l)),
      'the log does not name the interpreter',
    );
  });

  it('a rank that raises fails the run with its line in the dashboard and an error message; its traceback goes to the log', async () => {
    process.env.FAKE_ENGINE = 'raise';
    const file = configFile('raise');
    await runs.start(file, () => undefined);
    const snap = runs.snapshot(file)!;
    assert.equal(snap.status, 'failed');
    assert.equal(snap.message, 'rank 0: ValueError: boom');
    // Shown once the run folder has been looked at for the rank's traceback file.
    for (const deadline = Date.now() + 5000; shown.length === 0 && Date.now() < deadline;)
      await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(shown, [{ level: 'error', message: 'Embedding Lens: raise failed: rank 0: ValueError: boom' }]);
    const traceback = logged.findIndex((l) => l === '[raise] Traceback (most recent call last):');
    assert.ok(traceback >= 0, `no traceback in the log:\n${logged.join('\n')}`);
    assert.ok(logged.includes('[raise] ValueError: boom'));
  });

  it('an interpreter without torch fails the run in one line naming the fix', async () => {
    process.env.FAKE_ENGINE_INFO = 'no-torch';
    // Another interpreter (the same one by another path), so the successful probe kept for the first does not answer.
    pythonSetting = path.join(dir, 'python-without-torch');
    symlinkSync(
      execFileSync(python, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim(),
      pythonSetting,
    );
    try {
      const file = configFile('notorch');
      await runs.start(file, () => undefined);
      const snap = runs.snapshot(file)!;
      assert.equal(snap.status, 'failed');
      assert.match(
        snap.message ?? '',
        /^torch engine unavailable: .*torch is not installed \(pip install torch\); or set embeddingLens\.pythonPath/,
      );
      assert.equal(shown.length, 1);
    } finally {
      delete process.env.FAKE_ENGINE_INFO;
      pythonSetting = python;
    }
  });

  it('Embed Dataset asks for the model, embeds beside the CSV and opens the result in the analysis panel', async () => {
    const csv = path.join(dir, 'coco val.csv');
    writeFileSync(csv, 'filepath,title\na.jpg,a dog\n');
    const factory = path.join(dir, 'model.py');
    writeFileSync(factory, 'def build_clip():\n    pass\n');
    const opened: string[][] = [];
    const panels = {
      showFiles: async (files: string[]) => void opened.push(files),
    } as unknown as import('../../../../src/extension/analysisPanelSet').AnalysisPanelSet;
    answers.push(
      (kinds) => (kinds as { modelKind: string }[]).find((k) => k.modelKind === 'factory'),
      () => [{ fsPath: factory }],
      (functions) => (functions as string[])[0],
    );
    const out = await embedDataset(torch, panels, log, { fsPath: csv } as import('vscode').Uri);
    assert.equal(out, path.join(dir, 'coco val.build_clip.safetensors'));
    assert.deepEqual(opened, [[out]]);
    assert.equal(answers.length, 0, 'a question was not asked');
    assert.ok(
      logged.some((l) => /^embedded coco val\.csv with build_clip: 3 images, 6 captions/.test(l)),
      logged.join('\n'),
    );

    workspace.isTrusted = false;
    assert.equal(await embedDataset(torch, panels, log, { fsPath: csv } as import('vscode').Uri), undefined);
    assert.equal(shown.at(-1)?.message, `Embedding Lens: Embed Dataset not run: ${untrustedTorchReason}.`);
  });

  it('the fine-tune wizard writes a torch config for CSV data, with the model and the columns asked for', async () => {
    const train = path.join(dir, 'train.tsv');
    const val = path.join(dir, 'val.tsv');
    for (const f of [train, val]) writeFileSync(f, 'image\ttext\tid\n' + 'a.jpg\ta cat\t1\n'.repeat(40));
    answers.push(
      () => [{ fsPath: train }],
      () => [{ fsPath: val }],
      (kinds) => (kinds as { modelKind: string }[]).find((k) => k.modelKind === 'openClip'),
      () => 'ViT-B-16',
      (weights) => (weights as { label: string }[])[0],
      (columns) => (columns as string[])[0],
      (columns) => (columns as string[])[0],
      () => 'wizard',
    );
    await scaffoldRun({ toString: () => 'file:///ext/schemas/m2mix.schema.json' } as import('vscode').Uri);
    assert.equal(answers.length, 0, 'a question was not asked');
    const written = JSON.parse(readFileSync(path.join(dir, 'wizard.m2mix.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(
      [
        written.engine,
        written.model,
        written.train,
        written.eval,
        written.imageColumn,
        written.captionColumn,
        written.batchSize,
      ],
      ['torch', { openClip: 'ViT-B-16' }, './train.tsv', './val.tsv', 'image', 'text', 32],
    );
  });

  it('copies the launch command and writes the SLURM script beside the config; the CodeLens offers both on torch configs only', async () => {
    const training = new Training(
      { fsPath: repoRoot } as import('vscode').Uri,
      worker,
      torch,
      async () => 'wasm',
      log,
      {} as never,
    );
    try {
      const one = configFile('launch');
      const line = await training.copyLaunchCommand({ fsPath: one } as import('vscode').Uri);
      assert.deepEqual(clipboard, [line]);
      assert.match(
        line ?? '',
        new RegExp(
          `^PYTHONPATH=\\S+ ${python.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} -m embedding_lens train ${one}$`,
        ),
      );
      const two = configFile('launch2', { devices: 2 });
      assert.match(
        (await training.copyLaunchCommand({ fsPath: two } as import('vscode').Uri)) ?? '',
        / -m torch\.distributed\.run --standalone --nproc_per_node 2 .* -m embedding_lens train /,
      );

      const script = await training.generateSlurmScript({ fsPath: two } as import('vscode').Uri);
      assert.equal(script, slurmScriptFile(two));
      assert.equal(script, path.join(dir, 'launch2.slurm.sh'));
      assert.ok(existsSync(script!));
      const text = readFileSync(script!, 'utf8');
      assert.match(text, /^#!\/bin\/bash\n/);
      assert.match(text, /\nsrun .*torch\.distributed\.run.* train /);

      shown.length = 0;
      assert.equal(
        await training.copyLaunchCommand({
          fsPath: configFile('heads-tfjs', { engine: 'tfjs' }),
        } as import('vscode').Uri),
        undefined,
      );
      assert.match(shown[0].message, /is for "engine": "torch" configs/);

      const lens = new TrainingCodeLens(runs);
      const titles = (text: string) =>
        lens
          .provideCodeLenses({ uri: { fsPath: one }, getText: () => text } as unknown as import('vscode').TextDocument)
          .map((l) => l.command!.title);
      assert.deepEqual(titles('{"engine": "torch", "train": "a.csv"}'), [
        '▶ Run',
        'Open dashboard',
        'Copy launch command',
        'Generate SLURM script',
      ]);
      assert.deepEqual(titles('{"train": "a.npy"}'), ['▶ Run', 'Open dashboard']);
      assert.deepEqual(titles('{"engine": "torch", '), ['▶ Run', 'Open dashboard']);
    } finally {
      training.dispose();
    }
  });
});
