import * as path from 'node:path';
import * as vscode from 'vscode';
import { trainingPairs } from '../../core/checkpointShape';
import { embeddingGlob } from '../settings';
import { batchSizeFor, namePattern, paperBatchSize, scaffoldConfig, suggestName } from './scaffold';

const browse = 'Browse…';

/** A workspace embedding file, or one from the open dialog ("Browse…", and when the workspace has none). */
async function pickData(title: string, placeHolder: string, exclude?: string): Promise<string | undefined> {
  const found = (await vscode.workspace.findFiles(embeddingGlob, '**/node_modules/**', 2000)).filter((u) => u.fsPath !== exclude);
  let choice: string | undefined = browse;
  if (found.length > 0) {
    const items = found
      .map((u) => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(path.dirname(u.fsPath)), file: u.fsPath }))
      .sort((a, b) => a.file.localeCompare(b.file));
    const item = await vscode.window.showQuickPick([...items, { label: `$(folder-opened) ${browse}`, description: '', file: browse }], {
      title,
      placeHolder,
      matchOnDescription: true,
    });
    choice = item?.file;
  }
  if (choice !== browse) return choice;
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Embeddings: ['npy', 'npz', 'safetensors'] }, title });
  return picked?.[0]?.fsPath;
}

const exists = (uri: vscode.Uri): Thenable<boolean> => vscode.workspace.fs.stat(uri).then(() => true, () => false);

/**
 * Fine-tune with m²-Mix…: asks for the training and eval embeddings and a run name, writes
 * `<name>.m2mix.json` (the paper's defaults, `$schema` for completion and hover) beside the
 * workspace folder of the training file, and opens it; its CodeLens runs it.
 */
export async function scaffoldRun(schemaUri: vscode.Uri, trainHint?: vscode.Uri): Promise<void> {
  const title = 'Embedding Lens: Fine-tune with m²-Mix';
  const train = trainHint && /\.(npy|npz|safetensors)$/i.test(trainHint.fsPath) ? trainHint.fsPath : await pickData(title, 'Training embeddings (.npy, .npz, .safetensors)');
  if (!train) return;
  const evalFile = await pickData(title, 'Evaluation embeddings, measured after every epoch', train);
  if (!evalFile) return;
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(train))?.uri ?? vscode.Uri.file(path.dirname(train));
  const target = (name: string) => vscode.Uri.joinPath(folder, `${name}.m2mix.json`);
  const name = await vscode.window.showInputBox({
    title,
    prompt: `Run name: the config is ${vscode.workspace.asRelativePath(target('<name>'))}, outputs go to runs/<name>/`,
    value: suggestName(train),
    validateInput: async (v) => (!namePattern.test(v) ? 'Letters, digits, ".", "_" and "-", starting with a letter or digit' : (await exists(target(v))) ? `${v}.m2mix.json exists already` : undefined),
  });
  if (!name) return;
  // Headers only, and a file the run would refuse fails there with its own one line.
  const trainPairs = await trainingPairs(train).catch(() => undefined);
  const text = scaffoldConfig({ schemaUri: schemaUri.toString(), configDir: folder.fsPath, train, eval: evalFile, trainPairs });
  await vscode.workspace.fs.writeFile(target(name), Buffer.from(text));
  await vscode.window.showTextDocument(target(name));
  const batch = batchSizeFor(trainPairs);
  if (batch !== paperBatchSize) {
    void vscode.window.showInformationMessage(`Embedding Lens: batchSize is ${batch}, the largest power of two within the ${trainPairs} training pairs (the paper's ${paperBatchSize} needs more).`);
  }
}
