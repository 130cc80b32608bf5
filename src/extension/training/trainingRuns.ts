import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError, oneLine } from '../../core/util/errors';
import { RankError, runTorchTraining, type TorchNote } from '../../core/torch/engine';
import { loadConfig, type TrainConfig } from '../../core/train/config';
import type { RunEvent, RunSummary } from '../../core/train/events';
import { bestName, readLog } from '../../core/train/runFolder';
import type { DashboardSnapshot } from '../../protocol/dashboard';
import { Disposable } from '../disposable';
import type { TorchEnvironment } from '../python/torchEnvironment';
import { trainingBlockedReason } from '../python/workspaceTrustGate';
import type { WorkerClient } from '../workerClient';
import { applyEvent, applyFailure, applyNote, applySummary, emptySnapshot, torchDeviceLabel } from './runState';

/** A run's progress: the fraction done, the notification's message, and the event behind it. */
type RunProgress = (fraction: number, message: string, event?: RunEvent | TorchNote) => void;

/** The TensorFlow.js backend the window computes on, in words (the training worker climbs the same ladder). */
export type TfjsDevice = () => Promise<string>;

/**
 * The training runs of this window, one per *.m2mix.json. The tfjs engine runs in the training
 * worker, the torch engine as its own process group (the host only spawns it and reads its lines):
 * never any compute in the extension host. Each runs behind a cancellable progress notification;
 * its snapshot is what the dashboard shows and what the CodeLens reads.
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
    private readonly torch: TorchEnvironment,
    private readonly tfjsDevice: TfjsDevice,
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
    if (snap.status === 'cancelled')
      snap.message = `The log ends after epoch ${epochsDone} of ${config.epochs}; set "resume": true to continue it.`;
    snap.bestCheckpoint = path.join(snap.runDir, bestName);
    return snap;
  }

  /** Starts the run unless it is running; resolves when it ends. */
  async start(configFile: string, showDashboard: () => void): Promise<void> {
    if (this.running.has(configFile)) return showDashboard();
    const config = await this.checkedConfig(configFile);
    if (!config || this.running.has(configFile)) return;
    const blocked = trainingBlockedReason(config, vscode.workspace.isTrusted);
    if (blocked) {
      void vscode.window.showErrorMessage(`Embedding Lens: ${config.name} not run: ${blocked}.`);
      return;
    }
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
          const onProgress: RunProgress = (fraction, message, event) => {
            if (fraction > reported) progress.report({ increment: (fraction - reported) * 100, message });
            reported = Math.max(reported, fraction);
            if (!event) return;
            if (event.type === 'note') applyNote(snap, event.message);
            else applyEvent(snap, event);
            this.changed.fire(configFile);
          };
          try {
            if (config.engine === 'torch')
              return await this.runTorch(config, configFile, snap, cts.token, onProgress, (message) =>
                progress.report({ message }),
              );
            this.describeTfjsDevice(configFile, snap);
            return await this.worker.train(configFile, cts.token, onProgress);
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
        this.log.appendLine(
          `training ${configFile}: ${err instanceof RankError ? snap.message : ((err as Error).stack ?? snap.message)}`,
        );
        void this.announceFailure(snap, err);
      }
    } finally {
      this.running.delete(configFile);
      cts.dispose();
      this.changed.fire(configFile);
      this.statusChanged.fire();
    }
  }

  /** Fills in the engine fact once the window's backend is known; a failed probe leaves it out. */
  private describeTfjsDevice(configFile: string, snap: DashboardSnapshot): void {
    this.tfjsDevice().then(
      (device) => {
        snap.engine = { engine: 'tfjs', device };
        this.changed.fire(configFile);
      },
      () => undefined,
    );
  }

  /**
   * The torch engine: the interpreter and its torch probed (cached), then torchrun or one process
   * streaming events. Its stdout and stderr, tracebacks included, go to the output channel.
   */
  private async runTorch(
    config: TrainConfig,
    configFile: string,
    snap: DashboardSnapshot,
    token: vscode.CancellationToken,
    onProgress: RunProgress,
    say: (message: string) => void,
  ): Promise<RunSummary> {
    say('probing the Python interpreter and its torch');
    const report = await this.torch.report(vscode.Uri.file(configFile));
    if (!report.probe.ok) throw new Error(report.summary);
    const info = report.probe.info;
    snap.engine = { engine: 'torch', device: torchDeviceLabel(info, config) };
    this.changed.fire(configFile);
    this.log.appendLine(`training ${config.name} on the torch engine: ${report.summary}`);
    let [total, done, message] = [1, 0, 'loading the model and evaluating epoch 0'];
    say(message);
    return runTorchTraining(config, {
      configFile,
      python: report.candidate.python,
      info,
      token,
      onLog: (line) => this.log.appendLine(`[${config.name}] ${line}`),
      onEvent: (event) => {
        // A line another process wrote: one the dashboard cannot take is logged, not thrown into the stream's reader.
        try {
          if (event.type === 'start')
            [total, done, message] = [Math.max(1, event.totalSteps), event.firstStep, 'training'];
          if (event.type === 'step')
            [done, message] = [
              event.step,
              `epoch ${event.epoch}, loss ${event.loss === null ? 'NaN' : event.loss.toFixed(4)}`,
            ];
          onProgress(done / total, message, event);
        } catch (err) {
          this.log.appendLine(
            `training ${config.name}: could not show the engine's ${event.type} event: ${oneLine(err)}`,
          );
        }
      },
    });
  }

  /** The one line; a rank's traceback is in the output channel and in the run folder. */
  private async announceFailure(snap: DashboardSnapshot, err: unknown): Promise<void> {
    if (!(err instanceof RankError)) {
      void vscode.window.showErrorMessage(`Embedding Lens: ${snap.message}`);
      return;
    }
    const showLog = 'Show Log';
    const openTraceback = 'Open Traceback';
    const traceback =
      err.tracebackFile &&
      (await vscode.workspace.fs.stat(vscode.Uri.file(err.tracebackFile)).then(
        () => err.tracebackFile,
        () => undefined,
      ));
    const pick = await vscode.window.showErrorMessage(
      `Embedding Lens: ${snap.name} failed: ${snap.message}`,
      showLog,
      ...(traceback ? [openTraceback] : []),
    );
    if (pick === showLog) this.log.show(true);
    if (pick === openTraceback && traceback) await vscode.window.showTextDocument(vscode.Uri.file(traceback));
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
  const exists =
    file &&
    (await vscode.workspace.fs.stat(vscode.Uri.file(file)).then(
      () => true,
      () => false,
    ));
  if (!exists) {
    void vscode.window.showInformationMessage(
      `Embedding Lens: ${snap.name} has no best checkpoint yet (it is written after the first evaluation).`,
    );
    return;
  }
  await vscode.commands.executeCommand(
    'vscode.openWith',
    vscode.Uri.file(file),
    'embeddingLens.checkpointEditor',
    vscode.ViewColumn.Active,
  );
}
