import * as vscode from 'vscode';
import type { AnalysisResult } from '../core/metrics/types';
import type { PinnedBaseline } from '../protocol/analysisPanel';
import { metricInfos, metricValue } from '../protocol/metricInfo';

const storageKey = 'embeddingLens.pinnedBaseline';

/**
 * The checkpoint pinned as the analysis overview's baseline. Kept in workspaceState so it outlives
 * the panel that pinned it: every analysis view of the workspace shows changes against it.
 */
export class PinnedBaselineStore {
  private storage: vscode.Memento | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  /** Called once at activation; until then nothing is pinned. */
  useStorage(storage: vscode.Memento): void {
    this.storage = storage;
  }

  get(): PinnedBaseline | undefined {
    return this.storage?.get<PinnedBaseline>(storageKey);
  }

  async pin(title: string, files: string[], metrics: AnalysisResult): Promise<void> {
    const values = Object.fromEntries(metricInfos.map((m) => [m.key, metricValue(metrics, m.key)]));
    await this.storage?.update(storageKey, { title, files, values } satisfies PinnedBaseline);
    this.changed.fire();
  }

  async unpin(): Promise<void> {
    await this.storage?.update(storageKey, undefined);
    this.changed.fire();
  }
}

export const pinnedBaseline = new PinnedBaselineStore();
