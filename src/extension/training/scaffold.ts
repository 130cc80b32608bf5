/**
 * The content of a new `<name>.m2mix.json`. Host-independent (no vscode), so it is unit tested. Every
 * default comes from the schema, the one source of the paper's settings, written out in full so the
 * user sees (and hovers) each knob instead of discovering it.
 */
import * as path from 'node:path';
import schema from '../../../schemas/m2mix.schema.json';
import type { ModelSpec } from '../../core/train/config';

export interface ScaffoldInput {
  /** Where the config's own $schema points: the schema file shipped with the extension. */
  schemaUri: string;
  /** Folder the config is written to; the data paths are written relative to it. */
  configDir: string;
  train: string;
  eval: string;
  /** Pairs an epoch of the training file draws, where its headers tell (see batchSizeFor). */
  trainPairs?: number;
  /** A full model (absolute paths) trained by the torch engine on CSV/TSV data; absent: heads on embeddings. */
  model?: Exclude<ModelSpec, 'heads'>;
  imageColumn?: string;
  captionColumn?: string;
}

interface Node {
  default?: unknown;
  properties?: Record<string, Node>;
}

function defaultsOf(node: Node): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(node.properties ?? {})) {
    if (sub.default !== undefined) out[key] = sub.default;
    else if (sub.properties) out[key] = defaultsOf(sub);
  }
  return out;
}

/** Relative, with forward slashes, so the config works on every OS and in version control. */
export function relativePath(from: string, to: string): string {
  const rel = path.relative(from, to).split(path.sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

const defaults = defaultsOf(schema as Node);
/**
 * Keys only a full model on the torch engine reads: a heads config is written without them, as it
 * was before the torch engine, so its knobs are the ones that do something.
 */
const fullModelKeys = [
  'engine',
  'model',
  'imageColumn',
  'captionColumn',
  'freeze',
  'precision',
  'workers',
  'devices',
  'nodes',
];
const headsDefaults = Object.fromEntries(Object.entries(defaults).filter(([key]) => !fullModelKeys.includes(key)));
/** The schema's default batch, the paper's. */
export const paperBatchSize = defaults.batchSize as number;

/**
 * The paper's batch, or for a training set smaller than that the largest power of two it fills:
 * a run refuses a batch larger than its pairs, so the default would write a config that cannot run.
 */
export function batchSizeFor(trainPairs: number | undefined): number {
  if (trainPairs === undefined || trainPairs >= paperBatchSize) return paperBatchSize;
  return Math.max(2, 2 ** Math.floor(Math.log2(trainPairs)));
}

/** The model with its paths relative to the config, as the config resolves them. */
function relativeModel(configDir: string, model: Exclude<ModelSpec, 'heads'>): ModelSpec {
  if ('huggingFace' in model) return { huggingFace: relativePath(configDir, model.huggingFace) };
  if ('factory' in model) {
    const at = model.factory.lastIndexOf(':');
    return { factory: `${relativePath(configDir, model.factory.slice(0, at))}:${model.factory.slice(at + 1)}` };
  }
  return model.pretrained && path.isAbsolute(model.pretrained)
    ? { ...model, pretrained: relativePath(configDir, model.pretrained) }
    : model;
}

export function scaffoldConfig(p: ScaffoldInput): string {
  const data = {
    $schema: p.schemaUri,
    train: relativePath(p.configDir, p.train),
    eval: relativePath(p.configDir, p.eval),
  };
  const config = p.model
    ? {
        ...data,
        ...defaults,
        engine: 'torch',
        model: relativeModel(p.configDir, p.model),
        ...(p.imageColumn && { imageColumn: p.imageColumn }),
        ...(p.captionColumn && { captionColumn: p.captionColumn }),
        batchSize: batchSizeFor(p.trainPairs),
      }
    : { ...data, ...headsDefaults, batchSize: batchSizeFor(p.trainPairs) };
  return JSON.stringify(config, null, 2) + '\n';
}

/** A run name (the schema's pattern) from a data file: `coco-train.npz` -> `coco-train`. */
export function suggestName(file: string): string {
  const stem = path
    .basename(file)
    .replace(/\.(npy|npz|safetensors|pt|pth|parquet|arrow|feather|csv|tsv)$/i, '')
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return stem || 'run';
}

export const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
