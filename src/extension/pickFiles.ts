import * as path from 'node:path';
import * as vscode from 'vscode';
import { checkpointFileExtensions, collapseClipRetrievalShards, isCheckpointTarget } from './checkpointFiles';
import { embeddingGlob } from './settings';

/** The checkpoint a command acts on: the clicked file, the active editor's, or one the user picks. */
export async function pickCheckpoint(uri?: vscode.Uri): Promise<string | undefined> {
  if (uri && isCheckpointTarget(uri)) return uri.fsPath;
  const active = activeCheckpoint();
  if (!uri && active) return active;
  const found = collapseClipRetrievalShards(
    await vscode.workspace.findFiles(embeddingGlob, '**/node_modules/**', 2000),
  );
  if (found.length === 0) {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: { Embeddings: checkpointFileExtensions },
      title: 'Embedding Lens: pick a checkpoint of paired embeddings',
    });
    return picked?.[0]?.fsPath;
  }
  const items = found
    .map((u) => ({
      label: path.basename(u.fsPath),
      description: vscode.workspace.asRelativePath(path.dirname(u.fsPath)),
      path: u.fsPath,
    }))
    .sort((a, b) => a.path.localeCompare(b.path));
  const item = await vscode.window.showQuickPick(items, {
    title: 'Embedding Lens: Analyze Embeddings',
    placeHolder: 'Pick a checkpoint (.npy, .npz, .safetensors, .pt, .parquet, .arrow, or a clip-retrieval folder)',
    matchOnDescription: true,
  });
  return item?.path;
}

/** Asks for the other modality when a one-modality file has no partner beside it. */
export async function pickPartner(file: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    defaultUri: vscode.Uri.file(path.dirname(file)),
    canSelectMany: false,
    filters: { Embeddings: checkpointFileExtensions },
    title: `Embedding Lens: ${path.basename(file)} holds one modality; pick the file with the other`,
  });
  return picked?.[0]?.fsPath;
}

function activeCheckpoint(): string | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom && isCheckpointTarget(input.uri)) return input.uri.fsPath;
  return undefined;
}
