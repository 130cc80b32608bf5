/**
 * What the wizard and Embed Dataset derive from an image–caption CSV and a chosen model: the
 * header's column names, the factory functions a Python file defines, the embeddings file's name.
 * No vscode import, so it is unit tested.
 */
import * as path from 'node:path';
import type { ModelSpec } from '../../core/train/config';

export const csvPattern = /\.(csv|tsv)$/i;

/** The column names of a CSV/TSV header line (RFC 4180 quoting, as OpenCLIP's pandas reader takes it). */
export function csvHeader(firstLine: string, file: string): string[] {
  const separator = /\.tsv$/i.test(file) ? '\t' : ',';
  const names: string[] = [];
  let field = '';
  let quoted = false;
  const line = firstLine.replace(/^\uFEFF/, '').replace(/\r?\n?$/, '');
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === separator) {
      names.push(field.trim());
      field = '';
    } else field += c;
  }
  names.push(field.trim());
  return names.filter((n) => n !== '');
}

/** Top-level `def NAME(` of a Python file, the candidates for `file.py:function`. */
export function factoryFunctions(source: string): string[] {
  return [...source.matchAll(/^def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/gm)].map((m) => m[1]).filter((n) => !n.startsWith('_'));
}

const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
const stem = (file: string): string => path.basename(file).replace(/\.[^.]+$/, '');

/** A short file-name-safe name of a model: `ViT-B-32`, `ViT-B-32-laion2b_s34b_b79k`, `clip-base` (a folder), `build_clip`. */
export function modelFileLabel(model: ModelSpec): string {
  if (model === 'heads') return 'heads';
  if ('openClip' in model) return safe(model.pretrained ? `${model.openClip}-${stem(model.pretrained)}` : model.openClip) || 'openclip';
  if ('huggingFace' in model) return safe(path.basename(model.huggingFace)) || 'huggingface';
  return safe(model.factory.slice(model.factory.lastIndexOf(':') + 1)) || 'factory';
}

/** `<csv stem>.<model>.safetensors` beside the CSV. */
export function embeddingOutputFile(csv: string, model: ModelSpec): string {
  return path.join(path.dirname(csv), `${path.basename(csv).replace(csvPattern, '')}.${modelFileLabel(model)}.safetensors`);
}
