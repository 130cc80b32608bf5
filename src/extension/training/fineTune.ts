import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { trainingPairs } from '../../core/readers/checkpointShape';
import { checkpointFileExtensions, checkpointFilePattern } from '../checkpointFiles';
import { csvPattern } from '../python/datasetModel';
import { pickColumns, pickModel } from '../python/pickModel';
import { embeddingGlob } from '../settings';
import { batchSizeFor, namePattern, paperBatchSize, scaffoldConfig, suggestName } from './scaffold';

const browse = 'Browse…';

/**
 * Embedding files train heads; an image–caption CSV/TSV trains a full model on the torch engine.
 * The training file may be either; the eval file is of the training file's kind.
 */
type DataKind = 'any' | 'embeddings' | 'csv';
const embeddingFilter = { Embeddings: checkpointFileExtensions };
const csvFilter = { 'Image–caption CSV/TSV': ['csv', 'tsv'] };
const dataKinds: Record<DataKind, { glob: string; filters: Record<string, string[]> }> = {
  any: { glob: embeddingGlob.replace(/\}$/, ',csv,tsv}'), filters: { ...embeddingFilter, ...csvFilter } },
  embeddings: { glob: embeddingGlob, filters: embeddingFilter },
  csv: { glob: '**/*.{csv,tsv}', filters: csvFilter },
};

/** A workspace data file, or one from the open dialog ("Browse…", and when the workspace has none). */
async function pickData(
  title: string,
  placeHolder: string,
  kind: DataKind,
  exclude?: string,
): Promise<string | undefined> {
  const found = (await vscode.workspace.findFiles(dataKinds[kind].glob, '**/node_modules/**', 2000)).filter(
    (u) => u.fsPath !== exclude,
  );
  let choice: string | undefined = browse;
  if (found.length > 0) {
    const items = found
      .map((u) => ({
        label: path.basename(u.fsPath),
        description: vscode.workspace.asRelativePath(path.dirname(u.fsPath)),
        file: u.fsPath,
      }))
      .sort((a, b) => a.file.localeCompare(b.file));
    const item = await vscode.window.showQuickPick(
      [...items, { label: `$(folder-opened) ${browse}`, description: '', file: browse }],
      {
        title,
        placeHolder,
        matchOnDescription: true,
      },
    );
    choice = item?.file;
  }
  if (choice !== browse) return choice;
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: dataKinds[kind].filters, title });
  return picked?.[0]?.fsPath;
}

/** Data rows of a CSV/TSV, counted no further than `limit` (a batch only shrinks below the paper's 128). */
async function csvRowsUpTo(file: string, limit: number): Promise<number | undefined> {
  const handle = await fsp.open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const chunk = Buffer.alloc(1 << 16);
    let lines = 0;
    let last = 0x0a;
    for (let at = 0; lines <= limit;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, at);
      if (bytesRead === 0) break;
      for (let i = 0; i < bytesRead; i++) if (chunk[i] === 0x0a) lines++;
      last = chunk[bytesRead - 1];
      at += bytesRead;
    }
    // The header is no pair; a last line without its newline is one. An empty file is the run's to refuse.
    const rows = lines - 1 + (last === 0x0a ? 0 : 1);
    return rows > 0 ? rows : undefined;
  } finally {
    await handle.close();
  }
}

const exists = (uri: vscode.Uri): Thenable<boolean> =>
  vscode.workspace.fs.stat(uri).then(
    () => true,
    () => false,
  );

/**
 * Fine-tune with m²-Mix…: asks for the training and eval data and a run name, writes
 * `<name>.m2mix.json` (the paper's defaults, `$schema` for completion and hover) beside the
 * workspace folder of the training file, and opens it; its CodeLens runs it. Embedding files give
 * heads on the tfjs engine; CSV/TSV files of image paths and captions give a full model, asked for
 * here, on the torch engine.
 */
export async function scaffoldRun(schemaUri: vscode.Uri, trainHint?: vscode.Uri): Promise<void> {
  const title = 'Embedding Lens: Fine-tune with m²-Mix';
  const train =
    trainHint && (checkpointFilePattern.test(trainHint.fsPath) || csvPattern.test(trainHint.fsPath))
      ? trainHint.fsPath
      : await pickData(
          title,
          'Training data: embeddings (.npy, .npz, .safetensors, …) for heads, or an image–caption CSV/TSV for a full model',
          'any',
        );
  if (!train) return;
  const fullModel = csvPattern.test(train);
  const evalFile = fullModel
    ? await pickData(title, 'Evaluation CSV/TSV, embedded and measured after every epoch', 'csv', train)
    : await pickData(title, 'Evaluation embeddings, measured after every epoch', 'embeddings', train);
  if (!evalFile) return;
  const model = fullModel ? await pickModel(title, vscode.Uri.file(path.dirname(train))) : undefined;
  if (fullModel && !model) return;
  const columns = fullModel ? await pickColumns(train, title) : undefined;
  if (fullModel && !columns) return;
  const folder =
    vscode.workspace.getWorkspaceFolder(vscode.Uri.file(train))?.uri ?? vscode.Uri.file(path.dirname(train));
  const target = (name: string) => vscode.Uri.joinPath(folder, `${name}.m2mix.json`);
  const name = await vscode.window.showInputBox({
    title,
    prompt: `Run name: the config is ${vscode.workspace.asRelativePath(target('<name>'))}, outputs go to runs/<name>/`,
    value: suggestName(train),
    validateInput: async (v) =>
      !namePattern.test(v)
        ? 'Letters, digits, ".", "_" and "-", starting with a letter or digit'
        : (await exists(target(v)))
          ? `${v}.m2mix.json exists already`
          : undefined,
  });
  if (!name) return;
  // Headers only, and a file the run would refuse fails there with its own one line.
  const trainPairs = fullModel
    ? await csvRowsUpTo(train, paperBatchSize)
    : await trainingPairs(train).catch(() => undefined);
  const text = scaffoldConfig({
    schemaUri: schemaUri.toString(),
    configDir: folder.fsPath,
    train,
    eval: evalFile,
    trainPairs,
    model,
    ...columns,
  });
  await vscode.workspace.fs.writeFile(target(name), Buffer.from(text));
  await vscode.window.showTextDocument(target(name));
  const batch = batchSizeFor(trainPairs);
  if (batch !== paperBatchSize) {
    void vscode.window.showInformationMessage(
      `Embedding Lens: batchSize is ${batch}, the largest power of two within the ${trainPairs} training pairs (the paper's ${paperBatchSize} needs more).`,
    );
  }
}
