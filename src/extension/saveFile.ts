import * as vscode from 'vscode';

/**
 * Writes a temp file beside `target` and renames it over, so a crash or a full disk never leaves
 * a half-written export.
 */
export async function writeAtomically(target: vscode.Uri, body: Uint8Array): Promise<vscode.Uri> {
  const temp = target.with({ path: `${target.path}.tmp-${process.pid}` });
  await vscode.workspace.fs.writeFile(temp, body);
  await vscode.workspace.fs.rename(temp, target, { overwrite: true });
  return target;
}

/** Asks where to save, then writes atomically. Returns the target, or undefined if dismissed. */
export async function saveWithDialog(
  defaultUri: vscode.Uri,
  filters: Record<string, string[]>,
  body: Uint8Array,
): Promise<vscode.Uri | undefined> {
  const target = await vscode.window.showSaveDialog({ defaultUri, filters });
  return target && writeAtomically(target, body);
}
