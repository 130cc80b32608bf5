/**
 * embeddingLens.analysisEngine for the extension's Compare: the torch engine (a child process,
 * never a wait on the host) when the setting and chooseAnalysisEngine's rule pick it, in a trusted
 * workspace only; otherwise the worker's tfjs pass.
 */
import * as vscode from 'vscode';
import type { CancelToken, ProgressFn } from '../core/util/cancel';
import { InputError } from '../core/util/errors';
import { chooseAnalysisEngine, type AnalysisEngine } from '../core/torch/analysis';
import { compareOnTorch } from '../snapshots/compare/compareOnTorch';
import type { CompareData } from '../protocol/comparePanel';
import type { TorchEnvironment } from './python/torchEnvironment';
import { untrustedTorchReason } from './python/workspaceTrustGate';
import { analyzeSettings } from './settings';

export function analysisEnginePreference(scope?: vscode.Uri): AnalysisEngine {
  return vscode.workspace.getConfiguration('embeddingLens', scope).get<AnalysisEngine>('analysisEngine', 'auto');
}

/** The comparison on the torch engine, or undefined when tfjs runs it. */
export async function compareOnChosenEngine(
  torch: TorchEnvironment,
  checkpoints: string[][],
  token: CancelToken,
  onProgress: ProgressFn,
  log: (line: string) => void,
): Promise<CompareData | undefined> {
  const scope = vscode.Uri.file(checkpoints[0][0]);
  const want = analysisEnginePreference(scope);
  if (want === 'tfjs') return undefined;
  if (!vscode.workspace.isTrusted) {
    if (want === 'torch') throw new InputError('embeddingLens.analysisEngine', untrustedTorchReason);
    return undefined;
  }
  const { python } = await torch.python(scope);
  const choice = await chooseAnalysisEngine(want, checkpoints.flat(), python);
  if (choice.engine === 'tfjs') {
    if (choice.note) log(choice.note);
    return undefined;
  }
  const { uniformityT, ks, eceTau, imageKeys, textKeys } = analyzeSettings(scope);
  return compareOnTorch(
    checkpoints,
    { uniformityT, ks, eceTau, imageKeys, textKeys },
    { python, info: choice.info },
    token,
    onProgress,
  );
}
