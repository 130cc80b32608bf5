import * as vscode from 'vscode';
import { describeCheckpointShape } from '../core/readers/checkpointShape';
import { oneLine } from '../core/util/errors';
import type { AnalysisResult } from '../core/metrics/types';
import { analysisResults } from './analysisResults';
import { checkpointEditorViewType } from './checkpointEditor';
import { collapseClipRetrievalShards, isFolderPath } from './checkpointFiles';
import { Disposable } from './disposable';
import { analyzeSettings, checkpointsGlob } from './settings';

export const checkpointsViewId = 'embeddingLens.checkpoints';
const exclude = '**/node_modules/**';
/** A workspace with more checkpoints than this is better searched with the palette's QuickPick. */
const maxFiles = 5000;

type Shape = { shape: string } | { error: string };

function metricsText(r: AnalysisResult): string {
  return `R@1 ${r.i2t['R@1'].toFixed(1)}% · gap ${r.modality_gap.toFixed(3)}`;
}

/**
 * "Embedding Checkpoints" in the Explorer: every checkpoint file of the workspace with its N × D
 * (read from the headers, async) and, once analysed, its R@1 and modality gap.
 */
export class CheckpointsTree extends Disposable implements vscode.TreeDataProvider<vscode.Uri> {
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<vscode.Uri>;
  private files: Promise<vscode.Uri[]> | undefined;
  private readonly shapes = new Map<string, Promise<Shape>>();
  private watcher: vscode.FileSystemWatcher | undefined;

  constructor() {
    super();
    this.view = this.register(
      vscode.window.createTreeView(checkpointsViewId, { treeDataProvider: this, canSelectMany: true }),
    );
    this.watch();
    this.register({ dispose: () => this.watcher?.dispose() });
    this.register(analysisResults.onDidChange(() => this.changed.fire()));
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('embeddingLens')) return;
        this.watch();
        this.refresh();
      }),
    );
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()));
  }

  /** Finds the files again and re-reads every header. */
  refresh(): void {
    this.files = undefined;
    this.shapes.clear();
    this.changed.fire();
  }

  getChildren(element?: vscode.Uri): Promise<vscode.Uri[]> {
    if (element) return Promise.resolve([]);
    this.files ??= Promise.resolve(vscode.workspace.findFiles(checkpointsGlob(), exclude, maxFiles)).then((found) =>
      collapseClipRetrievalShards(found).sort((a, b) =>
        vscode.workspace.asRelativePath(a).localeCompare(vscode.workspace.asRelativePath(b)),
      ),
    );
    return this.files;
  }

  async getTreeItem(uri: vscode.Uri): Promise<vscode.TreeItem> {
    const file = uri.fsPath;
    const item = new vscode.TreeItem(uri, vscode.TreeItemCollapsibleState.None);
    item.id = uri.toString();
    item.contextValue = 'embeddingLens.checkpoint';
    // The checkpoint editor opens files; a folder (clip-retrieval) goes straight to the analysis.
    item.command = isFolderPath(file)
      ? { command: 'embeddingLens.analyze', title: 'Analyze', arguments: [uri] }
      : { command: 'vscode.openWith', title: 'Open', arguments: [uri, checkpointEditorViewType] };
    const shape = await this.shape(file);
    if ('error' in shape) {
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
      item.description = 'unreadable';
      item.tooltip = shape.error;
      return item;
    }
    const result = analysisResults.get(file);
    item.description = [shape.shape, result && metricsText(result)].filter(Boolean).join(' · ');
    item.tooltip = [
      vscode.workspace.asRelativePath(file),
      shape.shape,
      result ? metricsText(result) : 'not analysed yet',
    ].join('\n');
    item.iconPath = new vscode.ThemeIcon(result ? 'graph-scatter' : 'symbol-array');
    return item;
  }

  private shape(file: string): Promise<Shape> {
    let s = this.shapes.get(file);
    if (!s) {
      const { imageKeys, textKeys } = analyzeSettings(vscode.Uri.file(file));
      s = describeCheckpointShape(file, { imageKeys, textKeys }).then(
        (shape) => ({ shape }),
        (err: unknown) => ({ error: oneLine(err, file) }),
      );
      this.shapes.set(file, s);
    }
    return s;
  }

  private watch(): void {
    this.watcher?.dispose();
    const w = vscode.workspace.createFileSystemWatcher(checkpointsGlob());
    const changedFile = (changed: vscode.Uri) => {
      // A shard's change is its clip-retrieval folder's: that is the entry the tree shows.
      const uri = collapseClipRetrievalShards([changed])[0];
      this.shapes.delete(uri.fsPath);
      analysisResults.forget(uri.fsPath);
      this.changed.fire();
    };
    const addedOrRemoved = (uri: vscode.Uri) => {
      this.files = undefined;
      changedFile(uri);
    };
    w.onDidCreate(addedOrRemoved);
    w.onDidDelete(addedOrRemoved);
    w.onDidChange(changedFile);
    this.watcher = w;
  }
}
