/**
 * embeddingLens.analysisEngine for the extension's Analyze and Compare: the torch engine (a child
 * process the compute worker starts and reads back) when the setting and chooseAnalysisEngine's
 * rule pick it, in a trusted workspace only; otherwise the worker's tfjs pass. Only the choice is
 * made here: probing the interpreter is a child process too, so the host never waits on either.
 */
import * as vscode from 'vscode';
import type { TorchAnalysisEngine } from '../core/analysis/analyzeFilesOnTorch';
import { InputError } from '../core/util/errors';
import { chooseAnalysisEngine, type AnalysisEngine, type EngineChoiceWording } from '../core/torch/analysis';
import type { TorchEnvironment } from './python/torchEnvironment';
import { untrustedTorchReason } from './python/workspaceTrustGate';

export function analysisEnginePreference(scope?: vscode.Uri): AnalysisEngine {
  return vscode.workspace.getConfiguration('embeddingLens', scope).get<AnalysisEngine>('analysisEngine', 'auto');
}

const settingWording: EngineChoiceWording = {
  forced: 'embeddingLens.analysisEngine is "torch"',
  chooseTfjs: 'set embeddingLens.analysisEngine to tfjs',
};

export class AnalysisEngines {
  constructor(
    private readonly torch: TorchEnvironment,
    private readonly log: vscode.OutputChannel,
  ) {}

  /**
   * The torch engine for these files, or undefined when tfjs analyses them. Suite files hold
   * classification sets, which only tfjs analyses, whatever the setting.
   */
  async torchFor(files: string[]): Promise<TorchAnalysisEngine | undefined> {
    const scope = vscode.Uri.file(files[0]);
    const want = analysisEnginePreference(scope);
    if (want === 'tfjs' || files.every((f) => /\.suite\.json$/i.test(f))) return undefined;
    if (!vscode.workspace.isTrusted) {
      if (want === 'torch') throw new InputError('embeddingLens.analysisEngine', untrustedTorchReason);
      return undefined;
    }
    const { python } = await this.torch.python(scope);
    const choice = await chooseAnalysisEngine(want, files, python, settingWording);
    if (choice.engine === 'tfjs') {
      if (choice.note) this.log.appendLine(choice.note);
      return undefined;
    }
    return { python, info: choice.info };
  }
}
