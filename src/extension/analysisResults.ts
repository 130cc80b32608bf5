import * as vscode from 'vscode';
import type { AnalysisResult } from '../core/metrics/types';

/**
 * The last metrics measured for each file this session (by an analysis or a comparison), so the
 * checkpoints tree can show them. Forgotten when the file changes.
 */
export class AnalysisResults {
  private readonly byFile = new Map<string, AnalysisResult>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  /** Every file of the checkpoint gets the result: a pair's image and text file both show it. */
  record(files: string[], result: AnalysisResult): void {
    for (const f of files) this.byFile.set(f, result);
    this.changed.fire();
  }

  get(file: string): AnalysisResult | undefined {
    return this.byFile.get(file);
  }

  forget(file: string): void {
    if (this.byFile.delete(file)) this.changed.fire();
  }
}

/** One store for the session: analysis views, compare views and the tree all reach it. */
export const analysisResults = new AnalysisResults();
