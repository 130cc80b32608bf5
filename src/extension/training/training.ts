import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { launchCommandLine, slurmScript, trainCommand } from '../../core/torch/launch';
import { enginePackageDir } from '../../core/torch/python';
import type { TrainConfig } from '../../core/train/config';
import { Disposable } from '../disposable';
import type { ExportTargets } from '../exportTargets';
import type { TorchEnvironment, TorchEnvironmentReport } from '../python/torchEnvironment';
import type { WorkerClient } from '../workerClient';
import { configSelector, TrainingCodeLens } from './codeLens';
import { DashboardPanelSet } from './dashboardPanelSet';
import { scaffoldRun } from './fineTune';
import { TrainingRuns, type TfjsDevice } from './trainingRuns';

/** The config a training command acts on: the CodeLens's document, else the active editor's. */
function configFile(uri?: vscode.Uri): string | undefined {
  const file = uri?.fsPath ?? vscode.window.activeTextEditor?.document.uri.fsPath;
  if (file && /\.m2mix\.json$/i.test(file)) return file;
  void vscode.window.showInformationMessage(
    'Embedding Lens: open a *.m2mix.json run configuration first (Fine-tune with m²-Mix… writes one).',
  );
  return undefined;
}

/** `clip.m2mix.json` → `clip.slurm.sh`, beside it. */
export function slurmScriptFile(configFile: string): string {
  return configFile.replace(/\.m2mix\.json$/i, '') + '.slurm.sh';
}

/** Fine-tuning in the editor: the scaffold command, the CodeLens, the runs and their dashboards. */
export class Training extends Disposable {
  private readonly runs: TrainingRuns;
  private readonly dashboards: DashboardPanelSet;

  constructor(
    private readonly extensionUri: vscode.Uri,
    /** A worker of its own, so analyses are not queued behind a long run. */
    worker: WorkerClient,
    private readonly torch: TorchEnvironment,
    tfjsDevice: TfjsDevice,
    log: vscode.OutputChannel,
    exports: ExportTargets,
  ) {
    super();
    this.runs = this.register(new TrainingRuns(worker, torch, tfjsDevice, log));
    this.dashboards = this.register(new DashboardPanelSet(extensionUri, this.runs, exports));
    this.register(vscode.languages.registerCodeLensProvider(configSelector, new TrainingCodeLens(this.runs)));
  }

  fineTune(uri?: vscode.Uri): Promise<void> {
    return scaffoldRun(vscode.Uri.joinPath(this.extensionUri, 'schemas', 'm2mix.schema.json'), uri);
  }

  async run(uri?: vscode.Uri): Promise<void> {
    const file = configFile(uri);
    if (file) await this.runs.start(file, () => void this.dashboards.show(file, true));
  }

  cancel(uri?: vscode.Uri): void {
    const file = configFile(uri);
    if (file) this.runs.cancel(file);
  }

  async openDashboard(uri?: vscode.Uri): Promise<void> {
    const file = configFile(uri);
    if (file) await this.dashboards.show(file);
  }

  /**
   * A torch config and what its launch depends on: the interpreter, and the CUDA devices of this
   * machine for "devices": "auto" (none when it cannot be probed, e.g. on a login node).
   */
  private async torchLaunch(
    uri: vscode.Uri | undefined,
    action: string,
  ): Promise<{ file: string; config: TrainConfig; report: TorchEnvironmentReport } | undefined> {
    const file = configFile(uri);
    const config = file && (await this.runs.checkedConfig(file));
    if (!file || !config) return undefined;
    if (config.engine !== 'torch') {
      void vscode.window.showInformationMessage(
        `Embedding Lens: ${action} is for "engine": "torch" configs; ${path.basename(file)} runs on tfjs inside the editor (▶ Run).`,
      );
      return undefined;
    }
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Embedding Lens: probing torch' },
      () => this.torch.report(vscode.Uri.file(file)),
    );
    return { file, config, report };
  }

  /** Resolves to the command line it copied, for scripts and tests. */
  async copyLaunchCommand(uri?: vscode.Uri): Promise<string | undefined> {
    const launch = await this.torchLaunch(uri, 'Copy Launch Command');
    if (!launch) return undefined;
    const { file, config, report } = launch;
    const cudaDeviceCount = report.probe.ok ? report.probe.info.cuda.length : 0;
    const command = trainCommand(config, file, {}, { python: report.candidate.python, cudaDeviceCount });
    const line = launchCommandLine(command, enginePackageDir());
    await vscode.env.clipboard.writeText(line);
    const where = command.nodes > 1 ? `; run it on each of the ${command.nodes} nodes` : '';
    void vscode.window.showInformationMessage(
      `Embedding Lens: copied the launch command of ${config.name} (${command.ranksPerNode} rank(s) per node${where}).`,
    );
    return line;
  }

  /** Writes NAME.slurm.sh beside the config and opens it; resolves to the file, for scripts and tests. */
  async generateSlurmScript(uri?: vscode.Uri): Promise<string | undefined> {
    const launch = await this.torchLaunch(uri, 'Generate SLURM Script');
    if (!launch) return undefined;
    const { file, config, report } = launch;
    const target = slurmScriptFile(file);
    const exists = await fsp.stat(target).then(
      () => true,
      () => false,
    );
    if (exists) {
      const replace = 'Replace';
      const pick = await vscode.window.showWarningMessage(
        `Embedding Lens: ${path.basename(target)} exists already.`,
        { modal: true },
        replace,
      );
      if (pick !== replace) return undefined;
    }
    const gpusPerNode =
      report.probe.ok && report.probe.info.cuda.length > 0 ? report.probe.info.cuda.length : undefined;
    const script = slurmScript(
      config,
      file,
      {},
      { python: report.candidate.python, packageDir: enginePackageDir(), gpusPerNode },
    );
    await fsp.writeFile(target, script, { mode: 0o755 });
    await vscode.window.showTextDocument(vscode.Uri.file(target));
    return target;
  }
}
