/**
 * The analysis pass on the torch engine (`python -m embedding_lens analyze`, python/README.md), and
 * the rule that picks the engine. The result is the tfjs engine's JSON with "engine" and "backend".
 */
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { throwIfCancelled, type ProgressFn } from '../util/cancel';
import { CancelledError, InputError } from '../util/errors';
import type { AnalysisResult } from '../metrics/types';
import { runEngineProcess } from './engineProcess';
import { TorchEngineError, TorchUnavailableError, type TorchProcessOptions } from './engine';
import { engineCommand } from './launch';
import { probeTorch, type TorchInfo } from './python';

export type AnalysisEngine = 'auto' | 'tfjs' | 'torch';
export const analysisEngines: AnalysisEngine[] = ['auto', 'tfjs', 'torch'];

/** Formats python/embedding_lens/tensorfile.py reads; the others (.pt, Parquet, folders…) are tfjs-only. */
const torchFormats = new Set(['.npy', '.npz', '.safetensors']);

/**
 * Under `auto`, inputs of at least this many bytes go to torch: about 50,000 pairs of 512 float32
 * dimensions, where the tfjs engine would start estimating uniformity and ECE from a sample.
 */
export const autoTorchBytes = 200 * 1024 * 1024;

export interface TorchAnalysisSettings {
  uniformityT: number;
  ks: number[];
  eceTau: number;
  imageKeys: string[];
  textKeys: string[];
  /** TF32 products on CUDA: faster, metrics to about 1e-3 (python/embedding_lens/analyze_command.py). */
  tf32?: boolean;
  /** Where the engine writes the per-query arrays and reliability bins (python/README.md, `--detail`). */
  detailFile?: string;
  /** Also write the rows of the pairs the views draw to the detail file: all up to this many, else a seeded sample. */
  viewPairs?: number;
  /** Also write the image queries' ECE at these temperatures to the detail file. */
  temperatures?: number[];
}

export interface TorchAnalysisResult extends AnalysisResult {
  engine: 'torch';
  backend: string;
}

export type EngineChoice = { engine: 'tfjs'; note?: string } | { engine: 'torch'; info: TorchInfo };

/** How a refusal names the user's choice: the CLI's flags, or the extension's setting. */
export interface EngineChoiceWording {
  /** What forced torch, e.g. `--engine torch`. */
  forced: string;
  /** How to choose tfjs instead, e.g. `use --engine tfjs`. */
  chooseTfjs: string;
}

export const cliEngineWording: EngineChoiceWording = { forced: '--engine torch', chooseTfjs: 'use --engine tfjs' };

/** Why the torch engine cannot read these files (an InputError to throw), or undefined when it can. */
async function unreadableByTorch(files: string[], wording: EngineChoiceWording): Promise<InputError | undefined> {
  for (const file of files) {
    const stat = await fsp.stat(file).catch(() => undefined);
    if (stat?.isDirectory())
      return new InputError(
        file,
        `is a folder; the torch engine reads .npy, .npz and .safetensors files (${wording.chooseTfjs})`,
      );
    const ext = path.extname(file).toLowerCase();
    if (!torchFormats.has(ext))
      return new InputError(
        file,
        `the torch engine reads .npy, .npz and .safetensors, not '${ext || '(none)'}' (${wording.chooseTfjs})`,
      );
  }
  return undefined;
}

async function totalBytes(files: string[]): Promise<number> {
  const sizes = await Promise.all(
    files.map((f) =>
      fsp.stat(f).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

/**
 * tfjs or torch for these files. `torch` refuses in one line (no torch at `python`, a format it does
 * not read); `auto` takes torch for inputs of autoTorchBytes or more in a format it reads when
 * `python` has torch, and otherwise tfjs, with a note when torch was wanted but missing.
 */
export async function chooseAnalysisEngine(
  want: AnalysisEngine,
  files: string[],
  python: string,
  wording: EngineChoiceWording = cliEngineWording,
): Promise<EngineChoice> {
  if (want === 'tfjs') return { engine: 'tfjs' };
  const unreadable = await unreadableByTorch(files, wording);
  if (want === 'torch' && unreadable) throw unreadable;
  if (unreadable || (want === 'auto' && (await totalBytes(files)) < autoTorchBytes)) return { engine: 'tfjs' };
  const probe = await probeTorch(python);
  if (probe.ok) return { engine: 'torch', info: probe.info };
  if (want === 'torch') throw new TorchUnavailableError(python, `${wording.forced}: ${probe.reason}`);
  return { engine: 'tfjs', note: `analysing on tfjs: ${probe.reason}` };
}

function analyzeArgs(files: string[], s: TorchAnalysisSettings): string[] {
  const args = [
    'analyze',
    ...files,
    '--ks',
    s.ks.join(','),
    '--ece-tau',
    String(s.eceTau),
    '--uniformity-t',
    String(s.uniformityT),
  ];
  for (const k of s.imageKeys) args.push('--image-key', k);
  for (const k of s.textKeys) args.push('--text-key', k);
  if (s.tf32) args.push('--tf32');
  if (s.detailFile) args.push('--detail', s.detailFile);
  if (s.viewPairs) args.push('--view-pairs', String(s.viewPairs));
  if (s.temperatures?.length) args.push('--temperatures', s.temperatures.join(','));
  return args;
}

interface EngineErrorEvent {
  rank: number;
  message: string;
  input?: { file: string; problem: string };
}

/**
 * One analysis on the torch engine: one process, which uses every local GPU (or the CPU). Rejects
 * with an InputError for the files, CancelledError after a cancel, TorchUnavailableError or a
 * TorchEngineError with one line otherwise.
 */
export async function runTorchAnalysis(
  files: string[],
  settings: TorchAnalysisSettings,
  opts: TorchProcessOptions & { info: TorchInfo; onProgress?: ProgressFn },
): Promise<{ result: TorchAnalysisResult; warnings: string[] }> {
  throwIfCancelled(opts.token);
  const command = engineCommand(analyzeArgs(files, settings), 1, { count: 1 }, 'analyze', {
    python: opts.python,
    cudaDeviceCount: opts.info.cuda.length,
  });
  const workDir = await fsp.mkdtemp(path.join(tmpdir(), 'embedding-lens-'));
  try {
    let result: TorchAnalysisResult | undefined;
    let error: EngineErrorEvent | undefined;
    const warnings: string[] = [];
    const exit = await runEngineProcess(command, {
      cancelFile: path.join(workDir, 'cancel'),
      token: opts.token,
      onLog: opts.onLog,
      stopGraceMs: opts.stopGraceMs ?? 5_000,
      killGraceMs: opts.killGraceMs,
      onEvent: (e) => {
        if (e.type === 'analysis') result = e.result as TorchAnalysisResult;
        else if (e.type === 'progress')
          opts.onProgress?.((e.done as number) / Math.max(1, e.total as number), 'torch engine');
        else if (e.type === 'error') error ??= e as unknown as EngineErrorEvent;
        // Skipped pairs, or tiles shrunk after the device ran out of memory: lines for the user.
        else if (e.type === 'warning' || e.type === 'note') warnings.push(String(e.message));
      },
    });
    if (result) return { result, warnings };
    if (error?.input) throw new InputError(error.input.file, error.input.problem);
    if (exit.cancelled) throw new CancelledError();
    if (exit.spawnError?.code === 'ENOENT')
      throw new TorchUnavailableError(
        opts.python,
        `no Python at ${opts.python}: set embeddingLens.pythonPath or --python`,
      );
    throw new TorchEngineError(
      `the torch engine's analysis failed: ${error?.message ?? (exit.lastStderrLine || `exit code ${String(exit.code)}`)}`,
    );
  } finally {
    await fsp.rm(workDir, { recursive: true, force: true });
  }
}
