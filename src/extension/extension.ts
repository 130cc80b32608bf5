import * as vscode from 'vscode';
import { AnalysisEngines } from './analysisEngine';
import { AnalysisPanelSet } from './analysisPanelSet';
import { BackendStatus } from './backendStatus';
import { CheckpointEditorProvider } from './checkpointEditor';
import { CheckpointsTree } from './checkpointsTree';
import { registerCommands } from './commands';
import { ComparePanelSet } from './comparePanelSet';
import { ExportTargets } from './exportTargets';
import { targetMismatch } from '../core/backend/packageTarget';
import { TorchEnvironment } from './python/torchEnvironment';
import { affectsBackend, backendPreference } from './settings';
import { Training } from './training/training';
import { WorkerClient } from './workerClient';
import { pinnedBaseline } from './pinnedBaseline';

export function activate(context: vscode.ExtensionContext): void {
  const activateStart = Date.now();
  const log = vscode.window.createOutputChannel('Embedding Lens');
  // A package built for another platform (its target.json) says which one to install, in one line.
  const mismatch = targetMismatch();
  if (mismatch) {
    log.appendLine(mismatch);
    void vscode.window.showWarningMessage(mismatch);
  }
  const worker = new WorkerClient(context.extensionPath, backendPreference, log);
  const torch = new TorchEnvironment(log);
  const backend = new BackendStatus(worker, torch, log);
  const exports = new ExportTargets();
  pinnedBaseline.useStorage(context.workspaceState);
  const engines = new AnalysisEngines(torch, log);
  const panels = new AnalysisPanelSet(context.extensionUri, worker, exports, engines);
  const compare = new ComparePanelSet(context.extensionUri, worker, exports, engines);
  const checkpoints = new CheckpointsTree();
  // Training gets a worker of its own: a run takes minutes, and analyses should not queue behind it.
  const trainWorker = new WorkerClient(context.extensionPath, backendPreference, log);
  // The analysis worker's backend names the training worker's: both climb the same ladder with the
  // same setting, and asking the training worker would queue the question behind the run.
  const tfjsDevice = () => backend.get().then((r) => (r.detail ? `${r.name} (${r.detail})` : r.name));
  const training = new Training(context.extensionUri, trainWorker, torch, tfjsDevice, log, exports);
  context.subscriptions.push(
    log,
    torch,
    exports,
    worker,
    backend,
    panels,
    compare,
    checkpoints,
    new CheckpointEditorProvider(context.extensionUri, worker, exports, engines),
    trainWorker,
    training,
    ...registerCommands({ panels, backend, log, training, compare, checkpoints, exports, torch }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affectsBackend(e)) return;
      worker.restart();
      trainWorker.restart();
      backend.reset();
    }),
  );
  log.appendLine(`activate() returned after ${Date.now() - activateStart} ms`);
}

export function deactivate(): void {}
