import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelSpec } from '../../core/train/config';

/** What a full-model run or an embedding names; heads need no Python model. */
export type FullModel = Exclude<ModelSpec, 'heads'>;
import schema from '../../../schemas/m2mix.schema.json';
import { csvHeader, factoryFunctions } from './datasetModel';

type Kind = 'openClip' | 'huggingFace' | 'factory';

const kinds: (vscode.QuickPickItem & { modelKind: Kind })[] = [
  { modelKind: 'openClip', label: '$(library) OpenCLIP architecture', detail: 'An open_clip model name such as ViT-B-32, randomly initialised or with local or cached pretrained weights' },
  { modelKind: 'huggingFace', label: '$(folder) Hugging Face CLIPModel folder', detail: 'A local folder written by save_pretrained (nothing is downloaded)' },
  { modelKind: 'factory', label: '$(file-code) Factory function in a Python file', detail: 'file.py:function returning encode_image, encode_text, a preprocess transform and a tokenizer' },
];

async function pickOpenClip(title: string, near: vscode.Uri): Promise<FullModel | undefined> {
  const name = await vscode.window.showInputBox({
    title,
    prompt: 'OpenCLIP architecture (open_clip.list_models())',
    value: 'ViT-B-32',
    validateInput: (v) => (v.trim() ? undefined : 'An architecture name, e.g. ViT-B-32'),
  });
  if (!name) return undefined;
  const choices = [
    { label: 'Random initialisation', pretrained: 'none' },
    { label: '$(file) Local weights file…', description: '.pt, .pth, .bin, .safetensors', pretrained: 'file' },
    { label: "$(database) Pretrained tag in OpenCLIP's cache…", description: 'e.g. laion2b_s34b_b79k; nothing is downloaded', pretrained: 'tag' },
  ];
  const choice = await vscode.window.showQuickPick(choices, { title, placeHolder: `Weights of ${name.trim()}` });
  if (!choice) return undefined;
  if (choice.pretrained === 'none') return { openClip: name.trim() };
  if (choice.pretrained === 'file') {
    const file = await vscode.window.showOpenDialog({ title, defaultUri: near, canSelectMany: false, filters: { Weights: ['pt', 'pth', 'bin', 'safetensors', 'ckpt'] } });
    return file?.[0] && { openClip: name.trim(), pretrained: file[0].fsPath };
  }
  const tag = await vscode.window.showInputBox({ title, prompt: `A pretrained tag of ${name.trim()} already in OpenCLIP's cache`, validateInput: (v) => (v.trim() ? undefined : 'A tag, e.g. laion2b_s34b_b79k') });
  return tag ? { openClip: name.trim(), pretrained: tag.trim() } : undefined;
}

async function pickFactory(title: string, near: vscode.Uri): Promise<FullModel | undefined> {
  const file = (await vscode.window.showOpenDialog({ title, defaultUri: near, canSelectMany: false, filters: { Python: ['py'] } }))?.[0]?.fsPath;
  if (!file) return undefined;
  const defined = factoryFunctions(await fsp.readFile(file, 'utf8').catch(() => ''));
  const fn =
    defined.length > 0
      ? (await vscode.window.showQuickPick(defined, { title, placeHolder: `The function of ${path.basename(file)} that builds the model` }))
      : await vscode.window.showInputBox({
          title,
          prompt: `The function of ${path.basename(file)} that builds the model`,
          validateInput: (v) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? undefined : 'A Python function name'),
        });
  return fn ? { factory: `${file}:${fn}` } : undefined;
}

/** The model to train or embed with (absolute paths), asked step by step; undefined when the user backs out. */
export async function pickModel(title: string, near: vscode.Uri): Promise<FullModel | undefined> {
  const kind = (await vscode.window.showQuickPick(kinds, { title, placeHolder: 'Which model?', matchOnDetail: true }))?.modelKind;
  if (kind === 'openClip') return pickOpenClip(title, near);
  if (kind === 'factory') return pickFactory(title, near);
  if (kind !== 'huggingFace') return undefined;
  const folder = await vscode.window.showOpenDialog({ title, defaultUri: near, canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Use this CLIPModel folder' });
  return folder?.[0] && { huggingFace: folder[0].fsPath };
}

export interface CsvColumns {
  imageColumn: string;
  captionColumn: string;
}

const defaultColumns: CsvColumns = {
  imageColumn: schema.properties.imageColumn.default,
  captionColumn: schema.properties.captionColumn.default,
};

async function firstLine(file: string): Promise<string> {
  const handle = await fsp.open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0];
  } finally {
    await handle.close();
  }
}

/**
 * The image-path and caption columns of `csv`: OpenCLIP's `filepath` and `title` when the header has
 * them, else the user's pick among its names. An unreadable file keeps the defaults: the run names it.
 */
export async function pickColumns(csv: string, title: string): Promise<CsvColumns | undefined> {
  const names = await firstLine(csv).then(
    (line) => csvHeader(line, csv),
    () => [] as string[],
  );
  if (names.length === 0 || (names.includes(defaultColumns.imageColumn) && names.includes(defaultColumns.captionColumn))) return defaultColumns;
  const pick = (placeHolder: string, exclude?: string) => vscode.window.showQuickPick(names.filter((n) => n !== exclude), { title, placeHolder });
  const imageColumn = await pick(`${path.basename(csv)} lacks OpenCLIP's "${defaultColumns.imageColumn}"/"${defaultColumns.captionColumn}" columns: which one holds the image paths?`);
  if (!imageColumn) return undefined;
  const captionColumn = await pick(`Which column of ${path.basename(csv)} holds the captions?`, imageColumn);
  return captionColumn ? { imageColumn, captionColumn } : undefined;
}
