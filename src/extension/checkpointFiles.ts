/** Which Explorer entries are checkpoints: files the readers open by extension, and folders (clip-retrieval, pairs). */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isSuiteFile } from '../core/classification/suiteSpec';

export const checkpointFileExtensions = ['npy', 'npz', 'safetensors', 'pt', 'pth', 'parquet', 'arrow', 'feather'];
export const checkpointFilePattern = new RegExp(`\\.(${checkpointFileExtensions.join('|')})$`, 'i');

export function isFolderPath(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** A file the readers open, a classification suite, or a folder, which the readers judge (and refuse in one line when it holds no checkpoint). */
export function isCheckpointTarget(uri: vscode.Uri): boolean {
  return checkpointFilePattern.test(uri.fsPath) || isSuiteFile(uri.fsPath) || isFolderPath(uri.fsPath);
}

/** img_emb/img_emb_3.npy, text_emb/text_emb_3.npy, metadata/metadata_3.parquet: parts of a clip-retrieval folder. */
const clipRetrievalPart = /[\\/](img_emb|text_emb|metadata)[\\/]\1_\d+\.(npy|parquet)$/i;

/**
 * The files found, with the shards of each clip-retrieval folder replaced by the folder itself:
 * one entry of N × D, not a hundred shards each missing its other half.
 */
export function collapseClipRetrievalShards(found: vscode.Uri[]): vscode.Uri[] {
  const out = new Map<string, vscode.Uri>();
  for (const uri of found) {
    if (!clipRetrievalPart.test(uri.fsPath)) {
      out.set(uri.fsPath, uri);
      continue;
    }
    const root = path.dirname(path.dirname(uri.fsPath));
    if (isFolderPath(path.join(root, 'img_emb')) || isFolderPath(path.join(root, 'text_emb')))
      out.set(root, vscode.Uri.file(root));
    else out.set(uri.fsPath, uri);
  }
  return [...out.values()];
}
