/**
 * Embedding Lens: Write Sample Workspace… — what `embedding-lens sample DIR` writes, from VS Code: the
 * first step of the Getting Started walkthrough. Asks for a folder (the first workspace folder's
 * `embedding-lens-sample` is offered), writes, and offers to open the folder when it is not already
 * in the workspace. `executeCommand('embeddingLens.writeSampleWorkspace', uri)` writes into `uri`
 * without asking and resolves to the files written.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeSampleWorkspace } from '../core/synthetic/sampleWorkspace';

async function askFolder(): Promise<vscode.Uri | undefined> {
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri;
  const picked = await vscode.window.showOpenDialog({
    title: 'Embedding Lens: folder for the sample workspace',
    openLabel: 'Write Sample Here',
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    ...(ws ? { defaultUri: ws } : {}),
  });
  return picked?.[0];
}

export async function writeSampleCommand(
  log: vscode.OutputChannel,
  target?: vscode.Uri,
): Promise<string[] | undefined> {
  const folder = target instanceof vscode.Uri ? target : await askFolder();
  if (!folder) return undefined;
  if (folder.scheme !== 'file') {
    void vscode.window.showErrorMessage(
      `Embedding Lens writes the sample to a local folder, not ${folder.toString()}.`,
    );
    return undefined;
  }
  try {
    const written = await writeSampleWorkspace(folder.fsPath);
    log.appendLine(`sample workspace: ${written.length} files written into ${folder.fsPath}`);
    const inWorkspace = vscode.workspace.getWorkspaceFolder(folder) !== undefined;
    if (!(target instanceof vscode.Uri)) {
      const open = 'Open Folder';
      const message = `Embedding Lens: the sample workspace is in ${path.basename(folder.fsPath)} (${written.length} files).`;
      const choice = await (inWorkspace
        ? vscode.window.showInformationMessage(message)
        : vscode.window.showInformationMessage(message, open));
      if (choice === open) await vscode.commands.executeCommand('vscode.openFolder', folder);
    }
    return written;
  } catch (err) {
    void vscode.window.showErrorMessage(err instanceof Error ? err.message : String(err));
    return undefined;
  }
}
