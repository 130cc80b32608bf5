import * as vscode from 'vscode';
import type { PanelMetrics } from '../snapshots/analysis/panelMetrics';
import type { AnalysisPanelSet } from './analysisPanelSet';
import type { BackendStatus } from './backendStatus';
import type { CheckpointsTree } from './checkpointsTree';
import { compareCheckpoints } from './compareCommand';
import type { ComparePanelSet } from './comparePanelSet';
import { exportChart, exportMetrics, type ExportTargets } from './exportTargets';
import { pickCheckpoint } from './pickFiles';
import { writeSampleCommand } from './sampleCommand';
import { embedDataset } from './python/embedDataset';
import type { TorchEnvironment } from './python/torchEnvironment';
import type { Training } from './training/training';

export interface CommandContext {
  panels: AnalysisPanelSet;
  backend: BackendStatus;
  log: vscode.OutputChannel;
  compare: ComparePanelSet;
  checkpoints: CheckpointsTree;
  training: Training;
  exports: ExportTargets;
  torch: TorchEnvironment;
}

/** A command takes the context, then whatever its caller passes (a menu's URIs, a script's options), as it declares. */
type Command = (ctx: CommandContext, ...args: never[]) => unknown;

/** Resolves to the metrics of each analysed file (undefined where it failed), for scripts and tests. */
async function analyze(
  ctx: CommandContext,
  uri?: vscode.Uri,
  selected?: vscode.Uri[],
): Promise<(PanelMetrics | undefined)[]> {
  const targets = selected && selected.length > 1 ? selected : [uri];
  const runs: Promise<PanelMetrics | undefined>[] = [];
  for (const target of targets) {
    const file = await pickCheckpoint(target);
    if (file) runs.push(ctx.panels.showFiles([file]));
  }
  // The probe queues behind the analysis in the worker, so the status bar fills in after it.
  ctx.backend.get().catch((err: Error) => ctx.log.appendLine(`backend probe failed: ${err.message}`));
  return Promise.all(runs);
}

async function showBackend(ctx: CommandContext): Promise<void> {
  const [r, torch] = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Window,
      title: 'Embedding Lens: measuring the compute backend and probing torch',
    },
    () => Promise.all([ctx.backend.get(), ctx.torch.report()]),
  );
  const skipped = r.skipped.length ? ` Not used: ${r.skipped.join('; ')}.` : '';
  const changeBackend = 'Change Backend…';
  const setPython = 'Set Python Interpreter…';
  const pick = await vscode.window.showInformationMessage(
    `Embedding Lens computes on ${r.name}${r.detail ? ` (${r.detail})` : ''}: ${r.gflops.toFixed(1)} GFLOP/s measured.${skipped} ${torch.summary[0].toUpperCase()}${torch.summary.slice(1)}.`,
    changeBackend,
    setPython,
  );
  if (pick)
    await vscode.commands.executeCommand(
      'workbench.action.openSettings',
      pick === changeBackend ? 'embeddingLens.backend' : 'embeddingLens.pythonPath',
    );
}

/** Every command, registered from this one table (rust-analyzer's pattern). */
export const commands = {
  'embeddingLens.analyze': analyze,
  'embeddingLens.writeSampleWorkspace': (ctx, target?: vscode.Uri) => writeSampleCommand(ctx.log, target),
  'embeddingLens.compare': (ctx, uri?: vscode.Uri, selected?: vscode.Uri[]) =>
    compareCheckpoints(ctx.compare, uri, selected),
  'embeddingLens.compareSelectedCheckpoints': (ctx) =>
    compareCheckpoints(ctx.compare, undefined, [...ctx.checkpoints.view.selection]),
  'embeddingLens.refreshCheckpoints': (ctx) => ctx.checkpoints.refresh(),
  'embeddingLens.fineTune': (ctx, uri?: vscode.Uri) => ctx.training.fineTune(uri),
  'embeddingLens.runTraining': (ctx, uri?: vscode.Uri) => ctx.training.run(uri),
  'embeddingLens.cancelTraining': (ctx, uri?: vscode.Uri) => ctx.training.cancel(uri),
  'embeddingLens.openTrainingDashboard': (ctx, uri?: vscode.Uri) => ctx.training.openDashboard(uri),
  'embeddingLens.copyLaunchCommand': (ctx, uri?: vscode.Uri) => ctx.training.copyLaunchCommand(uri),
  'embeddingLens.generateSlurmScript': (ctx, uri?: vscode.Uri) => ctx.training.generateSlurmScript(uri),
  'embeddingLens.embedDataset': (ctx, uri?: vscode.Uri) => embedDataset(ctx.torch, ctx.panels, ctx.log, uri),
  'embeddingLens.showBackend': showBackend,
  'embeddingLens.exportMetricsJson': (ctx, options?: unknown) => exportMetrics(ctx.exports, 'json', options),
  'embeddingLens.exportMetricsCsv': (ctx, options?: unknown) => exportMetrics(ctx.exports, 'csv', options),
  'embeddingLens.exportChartPng': (ctx, options?: unknown) => exportChart(ctx.exports, 'png', options),
  'embeddingLens.exportChartSvg': (ctx, options?: unknown) => exportChart(ctx.exports, 'svg', options),
} satisfies Record<string, Command>;

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return Object.entries(commands).map(([id, command]: [string, Command]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        // VS Code checks no argument: a command trusts its callers (menus, scripts, tests) to pass what it declares.
        return await command(ctx, ...(args as never[]));
      } catch (err) {
        const message = (err as Error).message?.split('\n')[0] ?? String(err);
        ctx.log.appendLine(`${id}: ${(err as Error).stack ?? message}`);
        void vscode.window.showErrorMessage(`Embedding Lens: ${message}`);
        return undefined;
      }
    }),
  );
}
