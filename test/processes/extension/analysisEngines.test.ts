/**
 * Which engine the extension's Analyze and Compare take (extension/analysisEngine.ts), against a
 * stand-in `vscode`: the embeddingLens.analysisEngine setting, Workspace Trust, suites (tfjs only),
 * the size rule of `auto`, and a forced torch without torch. Starts Python to probe for torch.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { installFakeVscode } from '../../helpers/fakeVscode';
import { torchEngineOrSkipReason } from '../../helpers/torchEngine';
import { writeSamplePairsNpy } from '../../helpers/samplePairsNpy';
import { repoRoot } from '../../helpers/repoRoot';

// Compiled to out/, the launcher would look for the package beside out/; the checkout's is the one.
process.env.EMBEDDING_LENS_PYTHON_PACKAGE = path.join(repoRoot, 'python');

let engineSetting = 'auto';
let interpreter = '/nonexistent/python3';
const logged: string[] = [];
const workspace = {
  isTrusted: true,
  getConfiguration: () => ({
    get: <T>(key: string, fallback: T) => (key === 'analysisEngine' ? (engineSetting as T) : fallback),
  }),
};
installFakeVscode({
  workspace,
  Uri: { file: (fsPath: string) => ({ fsPath, scheme: 'file' }) },
});

// After the fake is installed: these load `vscode`, so they cannot be static imports.
/* eslint-disable @typescript-eslint/no-require-imports */
const { AnalysisEngines } =
  require('../../../src/extension/analysisEngine') as typeof import('../../../src/extension/analysisEngine');
const { autoTorchBytes } =
  require('../../../src/core/torch/analysis') as typeof import('../../../src/core/torch/analysis');
const { InputError } = require('../../../src/core/util/errors') as typeof import('../../../src/core/util/errors');
/* eslint-enable @typescript-eslint/no-require-imports */

const torchEnvironment = { python: async () => ({ python: interpreter }) };
const engines = new AnalysisEngines(torchEnvironment as never, { appendLine: (l: string) => logged.push(l) } as never);

const dir = mkdtempSync(path.join(tmpdir(), 'el-analysis-engines-'));
const pairs = path.join(dir, 'pairs.npy');
const suite = path.join(dir, 'shifts.suite.json');
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the analysis engine the extension chooses', () => {
  let realTorch: Awaited<ReturnType<typeof torchEngineOrSkipReason>> = 'not probed';
  before(async () => {
    await writeSamplePairsNpy(pairs, 50, 8, 1);
    writeFileSync(suite, '{}');
    realTorch = await torchEngineOrSkipReason();
  });
  beforeEach(() => {
    workspace.isTrusted = true;
    interpreter = '/nonexistent/python3';
    logged.length = 0;
  });

  it('tfjs when the setting says tfjs, without asking for a Python', async () => {
    engineSetting = 'tfjs';
    assert.equal(await engines.torchFor([pairs]), undefined);
  });

  it('torch when forced, with the interpreter and what it holds', async (t) => {
    if (typeof realTorch === 'string') return t.skip(realTorch);
    engineSetting = 'torch';
    interpreter = realTorch.python;
    const engine = await engines.torchFor([pairs]);
    assert.equal(engine?.python, realTorch.python);
    assert.equal(engine?.info.torch, realTorch.info.torch);
  });

  it('tfjs for a suite, even when torch is forced', async () => {
    engineSetting = 'torch';
    assert.equal(await engines.torchFor([suite]), undefined);
  });

  it('refuses a forced torch in one line in an untrusted workspace, and in one naming the interpreter without torch', async () => {
    engineSetting = 'torch';
    workspace.isTrusted = false;
    await assert.rejects(engines.torchFor([pairs]), (err: Error) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.file, 'embeddingLens.analysisEngine');
      return true;
    });
    workspace.isTrusted = true;
    await assert.rejects(engines.torchFor([pairs]), {
      message:
        'embeddingLens.analysisEngine is "torch": no Python at /nonexistent/python3: set embeddingLens.pythonPath or --python',
    });
    await assert.rejects(
      engines.torchFor([path.join(dir, 'weights.pt')]),
      /the torch engine reads .npy, .npz and .safetensors, not '.pt' \(set embeddingLens.analysisEngine to tfjs\)/,
    );
  });

  it('auto keeps small files on tfjs without probing, and big ones without torch on tfjs with a note', async () => {
    engineSetting = 'auto';
    assert.equal(await engines.torchFor([pairs]), undefined);
    assert.deepEqual(logged, []);
    // Only the size counts before the probe: a sparse file of autoTorchBytes is enough.
    const big = path.join(dir, 'big.npy');
    closeSync(openSync(big, 'w'));
    truncateSync(big, autoTorchBytes);
    assert.equal(await engines.torchFor([big]), undefined);
    assert.equal(logged.length, 1);
    assert.match(logged[0], /^analysing on tfjs: .*\/nonexistent\/python3/);
  });
});
