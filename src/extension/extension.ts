import * as vscode from 'vscode';
import { AnalysisPanels } from './analysisPanel';
import { BackendStatus } from './backendStatus';
import { CheckpointEditorProvider } from './checkpointEditor';
import { CheckpointsTree } from './checkpointsTree';
import { registerCommands } from './commands';
import { ComparePanels } from './comparePanel';
import { ExportTargets } from './exportTargets';
import { affectsBackend, backendPreference } from './settings';
import { Training } from './training/training';
import { WorkerClient } from './workerClient';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Embedding Lens');
  const worker = new WorkerClient(context.extensionPath, backendPreference, log);
  const backend = new BackendStatus(worker, log);
  const exports = new ExportTargets();
  const panels = new AnalysisPanels(context.extensionUri, worker, exports);
  const compare = new ComparePanels(context.extensionUri, worker, exports);
  const checkpoints = new CheckpointsTree();
  // Training gets a worker of its own: a run takes minutes, and analyses should not queue behind it.
  const trainWorker = new WorkerClient(context.extensionPath, backendPreference, log);
  const training = new Training(context.extensionUri, trainWorker, log, exports);
  context.subscriptions.push(
    log,
    exports,
    worker,
    backend,
    panels,
    compare,
    checkpoints,
    new CheckpointEditorProvider(context.extensionUri, worker, exports),
    trainWorker,
    training,
    ...registerCommands({ panels, backend, log, training, compare, checkpoints, exports }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affectsBackend(e)) return;
      worker.restart();
      trainWorker.restart();
      backend.reset();
    }),
  );
}

export function deactivate(): void {}
