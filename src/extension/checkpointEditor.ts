import * as path from 'node:path';
import * as vscode from 'vscode';
import { AnalysisView } from './analysisView';
import { Disposable } from './disposable';
import type { AnalysisEngines } from './analysisEngine';
import type { ExportTargets } from './exportTargets';
import type { WorkerClient } from './workerClient';

export const checkpointEditorViewType = 'embeddingLens.checkpointEditor';

/** Read-only editor for .npy/.npz/.safetensors that shows the file's analysis. */
export class CheckpointEditorProvider extends Disposable implements vscode.CustomReadonlyEditorProvider {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly worker: WorkerClient,
    private readonly exports: ExportTargets,
    private readonly engines: AnalysisEngines,
  ) {
    super();
    this.register(
      vscode.window.registerCustomEditorProvider(checkpointEditorViewType, this, {
        supportsMultipleEditorsPerDocument: true,
      }),
    );
  }

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const file = document.uri.fsPath;
    const view = new AnalysisView(
      panel,
      [file],
      path.basename(file),
      this.extensionUri,
      this.worker,
      this.exports,
      this.engines,
    );
    panel.onDidDispose(() => view.dispose());
  }
}
