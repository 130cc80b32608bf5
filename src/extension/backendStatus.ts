import * as vscode from 'vscode';
import type { BackendReport } from '../protocol/worker';
import { Disposable } from './disposable';
import type { TorchEnvironment } from './python/torchEnvironment';
import type { WorkerClient } from './workerClient';

const notProbedTorch = 'torch engine: not probed yet (Show Compute Backend, a torch run or Embed Dataset probes it)';

/**
 * Status bar entry with the compute backend and its measured speed, probed once per worker start;
 * its tooltip adds the torch engine's interpreter, torch and devices.
 */
export class BackendStatus extends Disposable {
  private readonly item = this.register(
    vscode.window.createStatusBarItem('embeddingLens.backend', vscode.StatusBarAlignment.Right, 10),
  );
  private report: Promise<BackendReport> | undefined;
  private tfjsLine = 'Compute backend: not started yet (starts with the first job)';
  private torchLine = notProbedTorch;

  constructor(
    private readonly worker: WorkerClient,
    torch: TorchEnvironment,
    private readonly log: vscode.OutputChannel,
  ) {
    super();
    this.item.name = 'Embedding Lens compute backend';
    this.item.command = 'embeddingLens.showBackend';
    this.item.text = '$(pulse) Embedding Lens';
    this.renderTooltip();
    this.item.show();
    this.register(
      torch.onDidChange(() => {
        const probed = this.torchLine !== notProbedTorch;
        this.torchLine = notProbedTorch;
        this.renderTooltip();
        // A tooltip that named an interpreter names the new one, not a stale one or none.
        if (probed) torch.report().catch((err: Error) => this.log.appendLine(`torch probe failed: ${err.message}`));
      }),
    );
    // Whoever probed (Show Compute Backend, a run, Embed Dataset), the tooltip shows it. Python is
    // not started for the tooltip alone: a window that never uses the torch engine never spawns it.
    this.register(
      torch.onDidReport((r) => {
        this.torchLine = r.summary;
        this.renderTooltip();
      }),
    );
    // The worker goes on with the next rung: show that one, not the lost GPU.
    this.register(
      worker.onDidLoseDevice(() => {
        this.reset();
        this.get().catch(() => undefined);
      }),
    );
  }

  /** Forgets the probe, e.g. after the backend setting changed and the worker restarted. */
  reset(): void {
    this.report = undefined;
    this.item.text = '$(pulse) Embedding Lens';
  }

  private renderTooltip(): void {
    this.item.tooltip = `${this.tfjsLine}\n${this.torchLine}`;
  }

  get(): Promise<BackendReport> {
    this.report ??= this.worker.backendReport().then(
      (r) => {
        this.item.text = `$(pulse) ${r.name} ${r.gflops.toFixed(1)} GFLOP/s`;
        const detail = r.detail ? ` (${r.detail})` : '';
        this.tfjsLine = `Embedding Lens compute backend: ${r.name}${detail}, measured ${r.gflops.toFixed(1)} GFLOP/s (matMul probe)`;
        this.renderTooltip();
        this.log.appendLine(`backend: ${r.name}${detail} (${r.gflops.toFixed(1)} GFLOP/s)`);
        for (const s of r.skipped) this.log.appendLine(`  skipped ${s}`);
        return r;
      },
      (err: Error) => {
        this.report = undefined;
        throw err;
      },
    );
    return this.report;
  }
}
