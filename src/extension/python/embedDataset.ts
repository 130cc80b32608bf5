import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError } from '../../core/util/errors';
import { runTorchEmbedding } from '../../core/torch/engine';
import type { AnalysisPanelSet } from '../analysisPanelSet';
import { csvPattern, embeddingOutputFile, modelFileLabel } from './datasetModel';
import { pickColumns, pickModel } from './pickModel';
import type { TorchEnvironment } from './torchEnvironment';
import { embeddingBlockedReason } from './workspaceTrustGate';

const title = 'Embedding Lens: Embed Dataset';

/** The CSV/TSV the command acts on: the Explorer's file, else one from the workspace or the open dialog. */
async function pickCsv(uri?: vscode.Uri): Promise<string | undefined> {
  if (uri && csvPattern.test(uri.fsPath)) return uri.fsPath;
  const found = await vscode.workspace.findFiles('**/*.{csv,tsv}', '**/node_modules/**', 2000);
  const browse = '$(folder-opened) Browse…';
  let choice: string | undefined = browse;
  if (found.length > 0) {
    const items = found
      .map((u) => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(path.dirname(u.fsPath)), file: u.fsPath }))
      .sort((a, b) => a.file.localeCompare(b.file));
    choice = (await vscode.window.showQuickPick([...items, { label: browse, description: '', file: browse }], { title, placeHolder: 'A CSV/TSV of image paths and captions', matchOnDescription: true }))?.file;
  }
  if (choice !== browse) return choice;
  return (await vscode.window.showOpenDialog({ title, canSelectMany: false, filters: { 'Image–caption CSV/TSV': ['csv', 'tsv'] } }))?.[0]?.fsPath;
}

/**
 * Embed Dataset…: image and caption embeddings of a CSV/TSV by a model the user picks, computed by
 * the torch engine (its own processes, sharded over the ranks of this machine) into
 * `<csv stem>.<model>.safetensors` beside the CSV, then opened in the analysis panel. Resolves to
 * the file written, for scripts and tests.
 */
export async function embedDataset(torch: TorchEnvironment, panels: AnalysisPanelSet, log: vscode.OutputChannel, uri?: vscode.Uri): Promise<string | undefined> {
  const blocked = embeddingBlockedReason(vscode.workspace.isTrusted);
  if (blocked) {
    void vscode.window.showErrorMessage(`Embedding Lens: Embed Dataset not run: ${blocked}.`);
    return undefined;
  }
  const csv = await pickCsv(uri);
  if (!csv) return undefined;
  const model = await pickModel(title, vscode.Uri.file(path.dirname(csv)));
  if (!model) return undefined;
  const columns = await pickColumns(csv, title);
  if (!columns) return undefined;
  const out = embeddingOutputFile(csv, model);
  if (await fsp.stat(out).then(() => true, () => false)) {
    const replace = 'Replace';
    if ((await vscode.window.showWarningMessage(`Embedding Lens: ${path.basename(out)} exists already.`, { modal: true }, replace)) !== replace) return undefined;
  }
  const name = `${path.basename(csv)} with ${modelFileLabel(model)}`;
  try {
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Embedding ${name}`, cancellable: true }, async (progress, token) => {
      progress.report({ message: 'probing the Python interpreter and its torch' });
      const report = await torch.report(vscode.Uri.file(csv));
      if (!report.probe.ok) throw new Error(report.summary);
      log.appendLine(`embedding ${name}: ${report.summary}`);
      progress.report({ message: 'loading the model' });
      let reported = 0;
      return runTorchEmbedding(
        { model, data: csv, out, ...columns },
        {
          python: report.candidate.python,
          info: report.probe.info,
          token,
          onLog: (line) => log.appendLine(`[embed ${path.basename(csv)}] ${line}`),
          onEvent: (e) => {
            if (e.type === 'note') {
              log.appendLine(`embed ${path.basename(csv)}: ${e.message}`);
              return;
            }
            const fraction = e.total > 0 ? e.done / e.total : 0;
            progress.report({ increment: Math.max(0, fraction - reported) * 100, message: `${e.done} of ${e.total}` });
            reported = Math.max(reported, fraction);
          },
        },
      );
    });
    log.appendLine(`embedded ${name}: ${result.images} images, ${result.texts} captions in ${result.file}`);
    void panels.showFiles([result.file]);
    return result.file;
  } catch (err) {
    if (!(err instanceof CancelledError)) throw err;
    void vscode.window.showInformationMessage(`Embedding Lens: embedding ${name} cancelled; nothing was written.`);
    return undefined;
  }
}
