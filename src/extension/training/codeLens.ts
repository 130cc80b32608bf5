import * as vscode from 'vscode';
import type { TrainingRuns } from './trainingRuns';

export const configSelector: vscode.DocumentSelector = { pattern: '**/*.m2mix.json' };

/** Whether the config's text asks for the torch engine; a config that does not parse yet gets the common lenses only. */
function namesTorchEngine(text: string): boolean {
  try {
    return (JSON.parse(text) as { engine?: unknown } | null)?.engine === 'torch';
  } catch {
    return false;
  }
}

/**
 * ▶ Run / ■ Cancel and Open dashboard above the first line of every *.m2mix.json; for the torch
 * engine also Copy launch command and Generate SLURM script, for runs started outside the editor.
 */
export class TrainingCodeLens implements vscode.CodeLensProvider {
  readonly onDidChangeCodeLenses: vscode.Event<void>;

  constructor(private readonly runs: TrainingRuns) {
    this.onDidChangeCodeLenses = runs.onDidChangeStatus;
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const top = new vscode.Range(0, 0, 0, 0);
    const args = [document.uri];
    const main = this.runs.isRunning(document.uri.fsPath)
      ? {
          title: '■ Cancel',
          command: 'embeddingLens.cancelTraining',
          tooltip: 'Stop the run before its next step',
          arguments: args,
        }
      : {
          title: '▶ Run',
          command: 'embeddingLens.runTraining',
          tooltip: 'Fine-tune with this configuration (tfjs: in the compute worker; torch: torchrun)',
          arguments: args,
        };
    const lenses = [
      new vscode.CodeLens(top, main),
      new vscode.CodeLens(top, {
        title: 'Open dashboard',
        command: 'embeddingLens.openTrainingDashboard',
        arguments: args,
      }),
    ];
    if (!namesTorchEngine(document.getText())) return lenses;
    return [
      ...lenses,
      new vscode.CodeLens(top, {
        title: 'Copy launch command',
        command: 'embeddingLens.copyLaunchCommand',
        tooltip: 'The torchrun command line of this run, to start it in a terminal or on each node',
        arguments: args,
      }),
      new vscode.CodeLens(top, {
        title: 'Generate SLURM script',
        command: 'embeddingLens.generateSlurmScript',
        tooltip: 'Write NAME.slurm.sh beside this file for sbatch',
        arguments: args,
      }),
    ];
  }
}
