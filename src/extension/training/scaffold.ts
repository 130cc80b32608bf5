/**
 * The content of a new `<name>.m2mix.json`. Host-independent (no vscode), so it is unit tested. Every
 * default comes from the schema, the one source of the paper's settings, written out in full so the
 * user sees (and hovers) each knob instead of discovering it.
 */
import * as path from 'node:path';
import schema from '../../../schemas/m2mix.schema.json';

export interface ScaffoldInput {
  /** Where the config's own $schema points: the schema file shipped with the extension. */
  schemaUri: string;
  /** Folder the config is written to; the data paths are written relative to it. */
  configDir: string;
  train: string;
  eval: string;
  /** Pairs an epoch of the training file draws, where its headers tell (see batchSizeFor). */
  trainPairs?: number;
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

export function scaffoldConfig(p: ScaffoldInput): string {
  const config = {
    $schema: p.schemaUri,
    train: relativePath(p.configDir, p.train),
    eval: relativePath(p.configDir, p.eval),
    ...defaults,
    batchSize: batchSizeFor(p.trainPairs),
  };
  return JSON.stringify(config, null, 2) + '\n';
}

/** A run name (the schema's pattern) from a data file: `coco-train.npz` -> `coco-train`. */
export function suggestName(file: string): string {
  const stem = path.basename(file).replace(/\.(npy|npz|safetensors)$/i, '').replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return stem || 'run';
}

export const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
