/**
 * The run configuration (`*.m2mix.json`). schemas/m2mix.schema.json is the one source of keys,
 * ranges and defaults: the editor shows it as hover docs, and this file checks a config against the
 * same schema with a small interpreter of the draft-07 keywords the schema uses (no dependency).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import schema from '../../../schemas/m2mix.schema.json';
import { InputError } from '../util/errors';
import { mixTerms, type MixTerm } from './termPlan';
import type { ModelSpec, TrainConfig } from './trainConfig';

export type { BestMetric, DevicesSpec, LossKind, ModelSpec, Precision, TrainConfig, TrainEngine } from './trainConfig';

interface SchemaNode {
  type?: string | string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  pattern?: string;
  minLength?: number;
  items?: SchemaNode;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean;
  default?: unknown;
  /** Alternatives told apart by type, enum or required key (model, devices): exactly one must hold. */
  oneOf?: SchemaNode[];
}

const root = schema as SchemaNode;

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(v: unknown, want: string): boolean {
  const got = typeOf(v);
  return got === want || (want === 'number' && got === 'integer');
}

const label = (keyPath: string): string => (keyPath ? JSON.stringify(keyPath) : 'the config');
const child = (keyPath: string, key: string): string => (keyPath ? `${keyPath}.${key}` : key);

const typesOf = (node: SchemaNode): string[] =>
  node.type === undefined ? [] : Array.isArray(node.type) ? node.type : [node.type];

/**
 * Whether `value` is the kind of thing `branch` describes (its type, enum and required keys), so
 * that a deeper problem found in it is the one to report: {"openClip": 1} is an OpenCLIP model with
 * a bad name, not "none of the alternatives".
 */
function aimsAt(value: unknown, branch: SchemaNode): boolean {
  const types = typesOf(branch);
  if (types.length > 0 && !types.some((t) => typeMatches(value, t))) return false;
  if (branch.enum && !branch.enum.includes(value)) return false;
  return typeOf(value) !== 'object' || (branch.required ?? []).every((k) => k in (value as object));
}

function describeBranch(branch: SchemaNode): string {
  if (branch.enum) return branch.enum.map((e) => JSON.stringify(e)).join(' or ');
  if (branch.required?.length) return `an object with ${JSON.stringify(branch.required[0])}`;
  return typesOf(branch).join(' or ');
}

function checkOneOf(value: unknown, branches: SchemaNode[], keyPath: string): string | undefined {
  const problems = branches.map((b) => check(value, b, keyPath));
  const held = problems.filter((p) => p === undefined).length;
  if (held === 1) return undefined;
  if (held > 1) return `${label(keyPath)} fits more than one of its alternatives`;
  const aimed = branches.findIndex((b) => aimsAt(value, b));
  if (aimed >= 0) return problems[aimed];
  const names = branches.map(describeBranch);
  const got = typeof value === 'object' && value !== null ? typeOf(value) : JSON.stringify(value);
  return `${label(keyPath)} must be ${names.join(' or ')}, got ${got}`;
}

/** The first problem of `value` against `node`, as a phrase naming the key, or undefined. */
function check(value: unknown, node: SchemaNode, keyPath: string): string | undefined {
  const where = label(keyPath);
  if (node.oneOf) {
    const p = checkOneOf(value, node.oneOf, keyPath);
    if (p) return p;
  }
  const types = typesOf(node);
  if (types.length > 0 && !types.some((t) => typeMatches(value, t)))
    return `${where} must be ${types.join(' or ')}, got ${typeOf(value)}`;
  if (node.enum && !node.enum.includes(value))
    return `${where} must be one of ${node.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${JSON.stringify(value)}`;
  if (typeof value === 'number') {
    // JSON.parse reads 1e999 as Infinity, which a key without a maximum (lr) would take.
    if (!Number.isFinite(value)) return `${where} must be a finite number, got ${value}`;
    if (node.minimum !== undefined && value < node.minimum) return `${where} must be >= ${node.minimum}, got ${value}`;
    if (node.maximum !== undefined && value > node.maximum) return `${where} must be <= ${node.maximum}, got ${value}`;
    if (node.exclusiveMinimum !== undefined && value <= node.exclusiveMinimum)
      return `${where} must be > ${node.exclusiveMinimum}, got ${value}`;
    if (node.exclusiveMaximum !== undefined && value >= node.exclusiveMaximum)
      return `${where} must be < ${node.exclusiveMaximum}, got ${value}`;
  }
  if (typeof value === 'string' && node.minLength !== undefined && value.length < node.minLength)
    return node.minLength === 1 ? `${where} must not be empty` : `${where} needs at least ${node.minLength} characters`;
  if (typeof value === 'string' && node.pattern && !new RegExp(node.pattern).test(value))
    return `${where} ${JSON.stringify(value)} does not match ${node.pattern}`;
  if (Array.isArray(value)) {
    if (node.minItems !== undefined && value.length < node.minItems)
      return `${where} needs at least ${node.minItems} item(s)`;
    if (node.maxItems !== undefined && value.length > node.maxItems)
      return `${where} takes at most ${node.maxItems} items, got ${value.length}`;
    for (let i = 0; node.items && i < value.length; i++) {
      const p = check(value[i], node.items, `${keyPath}[${i}]`);
      if (p) return p;
    }
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = node.properties ?? {};
    for (const key of node.required ?? [])
      if (!(key in obj)) return `missing required key ${label(child(keyPath, key))}`;
    for (const [key, v] of Object.entries(obj)) {
      const sub = Object.prototype.hasOwnProperty.call(props, key) ? props[key] : undefined;
      if (sub) {
        const p = check(v, sub, child(keyPath, key));
        if (p) return p;
      } else if (node.additionalProperties === false) {
        return `unknown key ${label(child(keyPath, key))} (known: ${Object.keys(props).join(', ')})`;
      }
    }
  }
  return undefined;
}

/** The object with every absent key that has a schema default filled in, recursively. */
function withDefaults(value: Record<string, unknown>, node: SchemaNode): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  for (const [key, sub] of Object.entries(node.properties ?? {})) {
    if (out[key] === undefined && sub.default !== undefined) out[key] = sub.default;
    if (sub.properties) out[key] = withDefaults((out[key] as Record<string, unknown> | undefined) ?? {}, sub);
  }
  return out;
}

/**
 * A resolved config as an earlier version recorded it, with the keys added since filled in with
 * their defaults: what that run ran with, so a resume does not list a new key as changed.
 */
export function recordedConfigWithDefaults(recorded: Record<string, unknown>): Record<string, unknown> {
  return withDefaults(recorded, root);
}

export interface ParseOptions {
  /** Relative paths resolve against this folder (the config file's). */
  baseDir: string;
  /** Run name when the config has none. */
  defaultName: string;
}

/**
 * An OpenCLIP `pretrained` names a local weights file or a tag of OpenCLIP's cache ("openai",
 * "laion2b_s34b_b79k"): only what looks like a path is resolved, a tag must reach Python as it is.
 */
function looksLikePath(s: string): boolean {
  return /[\\/]/.test(s) || s.startsWith('.') || /\.(pt|pth|bin|safetensors|ckpt)$/i.test(s);
}

/** Relative paths of a model resolved against `baseDir`, as train and eval are. */
export function resolveModel(model: ModelSpec, baseDir: string): ModelSpec {
  if (model === 'heads') return model;
  if ('huggingFace' in model) return { huggingFace: path.resolve(baseDir, model.huggingFace) };
  if ('factory' in model) {
    // The last colon: a Windows path has one of its own (C:\models\clip.py:build).
    const at = model.factory.lastIndexOf(':');
    return { factory: `${path.resolve(baseDir, model.factory.slice(0, at))}:${model.factory.slice(at + 1)}` };
  }
  return model.pretrained !== undefined && looksLikePath(model.pretrained)
    ? { ...model, pretrained: path.resolve(baseDir, model.pretrained) }
    : model;
}

/** `{ "openClip": … }`, as messages name a model. */
function modelLabel(model: ModelSpec): string {
  return model === 'heads' ? '"heads"' : `{ "${Object.keys(model)[0]}": … }`;
}

/** What the schema cannot say: rules that tie keys together. */
function crossKeyProblem(c: TrainConfig): string | undefined {
  if (c.engine === 'tfjs' && c.model !== 'heads')
    return `"model" ${modelLabel(c.model)} needs "engine": "torch" (the tfjs engine trains heads on frozen embeddings only)`;
  if (c.model !== 'heads') {
    for (const key of ['train', 'eval'] as const) {
      const files = c[key];
      if (files.length !== 1 || !/\.(csv|tsv)$/i.test(files[0]))
        return `"${key}" must be one CSV/TSV file of image paths and captions for a full model, got ${files.map((f) => path.basename(f)).join(', ')}`;
    }
  }
  if (c.model !== 'heads' && c.evalSuites.length)
    return `"evalSuites" are embedding files measured through heads: "model" ${modelLabel(c.model)} cannot take them`;
  if ((c.bestMetric === 'id_top1' || c.bestMetric === 'ood_mean') && !c.evalSuites.length)
    return `"bestMetric": "${c.bestMetric}" needs "evalSuites"`;
  if (c.nodes.count > 1 && c.nodes.rendezvous === undefined)
    return `"nodes.rendezvous" (host:port of the first node) is needed for ${c.nodes.count} nodes`;
  if (Array.isArray(c.devices) && new Set(c.devices).size !== c.devices.length)
    return `"devices" lists a CUDA device twice: ${JSON.stringify(c.devices)}`;
  return undefined;
}

/** Checks one key's value as a config would hold it (`embedding-lens embed` takes model, devices, precision as flags). */
export function checkConfigValue(key: keyof TrainConfig, value: unknown, source: string): void {
  const node = root.properties?.[key];
  const problem = node && check(value, node, key);
  if (problem) throw new InputError(source, problem);
}

/** Checks `raw` against the schema and returns the resolved config; `source` names the input in messages. */
export function parseConfig(raw: unknown, source: string, opts: ParseOptions): TrainConfig {
  const problem = check(raw, root, '');
  if (problem) throw new InputError(source, problem);
  const full = withDefaults(raw as Record<string, unknown>, root);
  const files = (v: unknown): string[] =>
    (Array.isArray(v) ? (v as string[]) : [v as string]).map((f) => path.resolve(opts.baseDir, f));
  delete full.$schema;
  const config: TrainConfig = {
    ...(full as unknown as TrainConfig),
    name: (full.name as string | undefined) ?? opts.defaultName,
    model: resolveModel(full.model as ModelSpec, opts.baseDir),
    train: files(full.train),
    eval: files(full.eval),
    evalSuites: (full.evalSuites as string[]).map((f) => path.resolve(opts.baseDir, f)),
    out: path.resolve(opts.baseDir, full.out as string),
  };
  const crossProblem = crossKeyProblem(config);
  if (crossProblem) throw new InputError(source, crossProblem);
  return config;
}

/** `coco.m2mix.json` -> `coco`. */
export function runNameFromFile(file: string): string {
  const stem = path.basename(file).replace(/(\.m2mix)?\.json$/i, '');
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(stem) ? stem : 'run';
}

/**
 * Reads a config file; `overrides` (already-resolved values, e.g. from command-line flags) replace
 * its keys before the check, so a flag's value is range-checked the same way.
 */
export async function loadConfig(file: string, overrides: Record<string, unknown> = {}): Promise<TrainConfig> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(
      file,
      `cannot read the config (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError(file, `not valid JSON (${(err as Error).message})`);
  }
  if (typeOf(raw) !== 'object') throw new InputError(file, `must hold a JSON object, got ${typeOf(raw)}`);
  const merged = mergeOverrides(raw as Record<string, unknown>, overrides);
  return parseConfig(merged, file, { baseDir: path.dirname(path.resolve(file)), defaultName: runNameFromFile(file) });
}

function mergeOverrides(raw: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const out = { ...raw };
  for (const [k, v] of Object.entries(overrides)) {
    const base = out[k];
    out[k] = typeOf(v) === 'object' && typeOf(base) === 'object' ? { ...(base as object), ...(v as object) } : v;
  }
  return out;
}

/**
 * The config's weight keys are short ("weights": { "m2", "v", "l", "vl" }) and stay so: config files,
 * recorded checkpoints and the Python engine read them. Past this table the code names each weight
 * after its loss term.
 */
const configWeightKeyOfMixTerm: Record<MixTerm, keyof TrainConfig['weights']> = {
  m2mix: 'm2',
  vmix: 'v',
  lmix: 'l',
  vlmix: 'vl',
};

/** Weight of each mixup term under the chosen loss (0 for a term the loss leaves out). */
export function mixTermWeights(config: Pick<TrainConfig, 'loss' | 'weights'>): Record<MixTerm, number> {
  const used = (term: MixTerm): boolean => config.loss === 'm3mix' || (config.loss === 'm2mix' && term === 'm2mix');
  return Object.fromEntries(
    mixTerms.map((term) => [term, used(term) ? config.weights[configWeightKeyOfMixTerm[term]] : 0]),
  ) as Record<MixTerm, number>;
}
