import * as vscode from 'vscode';
import type { BackendReport } from '../protocol/worker';
import { Disposable } from './disposable';
import type { WorkerClient } from './workerClient';

/** Status bar entry with the compute backend and its measured speed, probed once per worker start. */
export class BackendStatus extends Disposable {
  private readonly item = this.register(vscode.window.createStatusBarItem('embeddingLens.backend', vscode.StatusBarAlignment.Right, 10));
  private report: Promise<BackendReport> | undefined;

  constructor(
    private readonly worker: WorkerClient,
    private readonly log: vscode.OutputChannel,
  ) {
    super();
    this.item.name = 'Embedding Lens compute backend';
    this.item.command = 'embeddingLens.showBackend';
    this.item.text = '$(pulse) Embedding Lens';
    this.item.tooltip = 'Compute backend: not started yet (starts with the first job)';
    this.item.show();
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

  get(): Promise<BackendReport> {
    this.report ??= this.worker.backendReport().then(
      (r) => {
        this.item.text = `$(pulse) ${r.name} ${r.gflops.toFixed(1)} GFLOP/s`;
        const detail = r.detail ? ` (${r.detail})` : '';
        this.item.tooltip = `Embedding Lens compute backend: ${r.name}${detail}, measured ${r.gflops.toFixed(1)} GFLOP/s (matMul probe)`;
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
