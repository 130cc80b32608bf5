import * as path from 'node:path';
import * as vscode from 'vscode';
import { maxCompared, minCompared } from '../protocol/comparePanel';
import type { ComparePanelSet } from './comparePanelSet';
import { collapseClipRetrievalShards, isCheckpointTarget } from './checkpointFiles';
import { checkpointsGlob } from './settings';

/** The palette's way in: a multi-select QuickPick of the workspace's checkpoints. */
async function pickCheckpoints(preselected: vscode.Uri[]): Promise<vscode.Uri[] | undefined> {
  const found = collapseClipRetrievalShards(
    await vscode.workspace.findFiles(checkpointsGlob(), '**/node_modules/**', 5000),
  );
  const chosen = new Set(preselected.map((u) => u.fsPath));
  const items = found
    .map((u) => ({
      label: path.basename(u.fsPath),
      description: vscode.workspace.asRelativePath(path.dirname(u.fsPath)),
      uri: u,
      picked: chosen.has(u.fsPath),
    }))
    .sort((a, b) => a.uri.fsPath.localeCompare(b.uri.fsPath));
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Embedding Lens: Compare Checkpoints',
    placeHolder: `Pick ${minCompared} to ${maxCompared} checkpoints; the first is the baseline`,
    canPickMany: true,
    matchOnDescription: true,
  });
  return picked?.map((p) => p.uri);
}

/**
 * Compare from the Explorer or the checkpoints view (the clicked file and the multi-selection), or
 * from the palette (a QuickPick, pre-filled with whatever was selected).
 */
export async function compareCheckpoints(
  panels: ComparePanelSet,
  clicked?: vscode.Uri,
  selected?: vscode.Uri[],
): Promise<void> {
  let uris = (selected && selected.length > 0 ? selected : clicked ? [clicked] : []).filter(
    (u) => u instanceof vscode.Uri && isCheckpointTarget(u),
  );
  if (uris.length < minCompared) {
    const picked = await pickCheckpoints(uris);
    if (!picked) return;
    uris = picked;
  }
  if (uris.length < minCompared || uris.length > maxCompared) {
    void vscode.window.showErrorMessage(
      `Embedding Lens: Compare takes ${minCompared} to ${maxCompared} checkpoints; ${uris.length} selected.`,
    );
    return;
  }
  panels.showCheckpoints(uris.map((u) => [u.fsPath]));
}
