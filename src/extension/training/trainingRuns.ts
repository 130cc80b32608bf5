import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError, oneLine } from '../../core/errors';
import { loadConfig, type TrainConfig } from '../../core/train/config';
import type { RunSummary } from '../../core/train/events';
import { bestName, readLog } from '../../core/train/runFolder';
import type { DashboardSnapshot } from '../../protocol/dashboard';
import { Disposable } from '../disposable';
import type { WorkerClient } from '../workerClient';
import { applyEvent, applyFailure, applySummary, emptySnapshot } from './runState';

/**
 * The training runs of this window, one per *.m2mix.json. Each runs in the training worker (never in
 * the extension host) behind a cancellable progress notification; its snapshot is what the
 * dashboard shows and what the CodeLens reads.
 */
export class TrainingRuns extends Disposable {
  private readonly snapshots = new Map<string, DashboardSnapshot>();
  private readonly running = new Map<string, vscode.CancellationTokenSource>();
  private readonly changed = this.register(new vscode.EventEmitter<string>());
  private readonly statusChanged = this.register(new vscode.EventEmitter<void>());
  /** A run's snapshot changed (every event: listeners throttle). */
  readonly onDidChange = this.changed.event;
  /** A run started or ended. */
  readonly onDidChangeStatus = this.statusChanged.event;

  constructor(
    private readonly worker: WorkerClient,
    private readonly log: vscode.OutputChannel,
  ) {
    super();
    this.register({ dispose: () => [...this.running.values()].forEach((c) => c.cancel()) });
  }

  isRunning(configFile: string): boolean {
    return this.running.has(configFile);
  }

  snapshot(configFile: string): DashboardSnapshot | undefined {
    return this.snapshots.get(configFile);
  }

  cancel(configFile: string): void {
    this.running.get(configFile)?.cancel();
  }

  /** The config, or undefined after showing its first problem as one line. */
  async checkedConfig(configFile: string): Promise<TrainConfig | undefined> {
    await vscode.workspace.textDocuments.find((d) => d.uri.fsPath === configFile && d.isDirty)?.save();
    try {
      return await loadConfig(configFile);
    } catch (err) {
      void vscode.window.showErrorMessage(`Embedding Lens: ${oneLine(err)}`);
      return undefined;
    }
  }

  /**
   * The snapshot of a run this window has not run: replayed from the run folder's run.jsonl, so the
   * dashboard of a finished (or earlier) run opens too. Undefined when there is nothing to show.
   */
  async loadFromDisk(configFile: string): Promise<DashboardSnapshot | undefined> {
    if (this.snapshots.has(configFile)) return this.snapshots.get(configFile);
    const config = await this.checkedConfig(configFile);
    if (!config) return undefined;
    const snap = emptySnapshot(config.name, configFile, config.epochs);
    snap.runDir = path.join(config.out, config.name);
    const events = await readLog(snap.runDir);
    if (events.length === 0) {
      snap.status = 'idle';
      snap.message = `No run yet (${snap.runDir} holds no run.jsonl).`;
      return snap;
    }
    for (const e of events) applyEvent(snap, e);
    const epochsDone = snap.evals.epoch.at(-1) ?? 0;
    snap.status = epochsDone >= config.epochs ? 'completed' : 'cancelled';
    if (snap.status === 'cancelled') snap.message = `The log ends after epoch ${epochsDone} of ${config.epochs}; set "resume": true to continue it.`;
    snap.bestCheckpoint = path.join(snap.runDir, bestName);
    return snap;
  }

  /** Starts the run unless it is running; resolves when it ends. */
  async start(configFile: string, showDashboard: () => void): Promise<void> {
    if (this.running.has(configFile)) return showDashboard();
    const config = await this.checkedConfig(configFile);
    if (!config || this.running.has(configFile)) return;
    const snap = emptySnapshot(config.name, configFile, config.epochs);
    snap.runDir = path.join(config.out, config.name);
    const cts = new vscode.CancellationTokenSource();
    this.snapshots.set(configFile, snap);
    this.running.set(configFile, cts);
    this.statusChanged.fire();
    showDashboard();
    try {
      const summary = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Training ${config.name}`, cancellable: true },
        async (progress, notificationToken) => {
          const sub = notificationToken.onCancellationRequested(() => cts.cancel());
          let reported = 0;
          try {
            return await this.worker.train(configFile, cts.token, (fraction, message, event) => {
              if (fraction > reported) progress.report({ increment: (fraction - reported) * 100, message });
              reported = Math.max(reported, fraction);
              if (!event) return;
              applyEvent(snap, event);
              this.changed.fire(configFile);
            });
          } finally {
            sub.dispose();
          }
        },
      );
      applySummary(snap, summary);
      void this.announce(summary, snap);
    } catch (err) {
      if (err instanceof CancelledError) {
        snap.status = 'cancelled';
        snap.message = 'Cancelled.';
      } else {
        applyFailure(snap, oneLine(err));
        this.log.appendLine(`training ${configFile}: ${(err as Error).stack ?? snap.message}`);
        void vscode.window.showErrorMessage(`Embedding Lens: ${snap.message}`);
      }
    } finally {
      this.running.delete(configFile);
      cts.dispose();
      this.changed.fire(configFile);
      this.statusChanged.fire();
    }
  }

  private async announce(summary: RunSummary, snap: DashboardSnapshot): Promise<void> {
    if (summary.status === 'diverged') {
      void vscode.window.showWarningMessage(`Embedding Lens: ${snap.name} diverged: ${summary.message}`);
      return;
    }
    if (summary.status !== 'completed') return;
    const open = 'Open Best Checkpoint';
    const pick = await vscode.window.showInformationMessage(
      `Embedding Lens: ${snap.name} completed ${summary.epochs} epochs; best ${summary.bestMetric} ${summary.bestValue.toFixed(2)} at epoch ${summary.bestEpoch}.`,
      open,
    );
    if (pick === open) await openBestCheckpoint(snap);
  }
}

/** best.safetensors in the checkpoint editor (the analysis view), when the run has written it. */
export async function openBestCheckpoint(snap: DashboardSnapshot): Promise<void> {
  const file = snap.bestCheckpoint;
  const exists = file && (await vscode.workspace.fs.stat(vscode.Uri.file(file)).then(() => true, () => false));
  if (!exists) {
    void vscode.window.showInformationMessage(`Embedding Lens: ${snap.name} has no best checkpoint yet (it is written after the first evaluation).`);
    return;
  }
  await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), 'embeddingLens.checkpointEditor', vscode.ViewColumn.Active);
}
