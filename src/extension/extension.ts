import * as vscode from 'vscode';
import { AnalysisPanels } from './analysisPanel';
import { BackendStatus } from './backendStatus';
import { CheckpointEditorProvider } from './checkpointEditor';
import { registerCommands } from './commands';
import { affectsBackend, backendPreference } from './settings';
import { WorkerClient } from './workerClient';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Embedding Lens');
  const worker = new WorkerClient(context.extensionPath, backendPreference, log);
  const backend = new BackendStatus(worker, log);
  const panels = new AnalysisPanels(context.extensionUri, worker);
  context.subscriptions.push(
    log,
    worker,
    backend,
    panels,
    new CheckpointEditorProvider(context.extensionUri, worker),
    ...registerCommands({ panels, backend, log }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affectsBackend(e)) return;
      worker.restart();
      backend.reset();
    }),
  );
}

export function deactivate(): void {}
