/**
 * Training and embedding on the torch engine: the caller's config and options in, the same events
 * and RunSummary as the tfjs trainer out, each failure as one line (python/README.md is the
 * protocol). The ranks' own output goes to onLog: tracebacks are for the log, never the message.
 */
import { promises as fsp } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { throwIfCancelled, type CancelToken } from '../util/cancel';
import { CancelledError, InputError } from '../util/errors';
import type { RunEvent, RunSummary } from '../train/events';
import type { DevicesSpec, ModelSpec, Precision, TrainConfig } from '../train/trainConfig';
import { engineCommand, ranksFor, trainCommand, type EngineCommand } from './launch';
import { runEngineProcess, type EngineEvent, type EngineExit } from './engineProcess';
import { probeTorch, type TorchInfo } from './python';

/** A line for the user from the engine (skipped rows, frozen parameters, a setting it adjusted). */
export interface TorchNote {
  type: 'note';
  message: string;
}

/** The torch engine cannot run with this interpreter: the message is the whole line to show. */
export class TorchUnavailableError extends InputError {
  constructor(python: string, reason: string) {
    super(python, reason);
    this.message = reason;
    this.name = 'TorchUnavailableError';
  }
}

/** The engine failed in a way the message says in one line (not a bug of Embedding Lens, not the user's input). */
export class TorchEngineError extends Error {
  override name = 'TorchEngineError';
}

/** A rank failed on something other than the user's input; its traceback is in the log and in `tracebackFile`. */
export class RankError extends TorchEngineError {
  override name = 'RankError';
  constructor(
    readonly rank: number,
    line: string,
    readonly tracebackFile?: string,
  ) {
    super(`rank ${rank}: ${line}`);
  }
}

export interface TorchProcessOptions {
  python: string;
  token?: CancelToken;
  onLog?(line: string, stream: 'stdout' | 'stderr'): void;
  /** From an earlier probe of `python`; probed here when absent. */
  info?: TorchInfo;
  /** After a cancel, how long the ranks get to reach a step boundary before SIGTERM (default 30 s). */
  stopGraceMs?: number;
  /** After SIGTERM, how long before SIGKILL (default 5 s). */
  killGraceMs?: number;
}

export interface TorchTrainingOptions extends TorchProcessOptions {
  /** The config file the ranks read; without it the resolved config is written to a temporary one. */
  configFile?: string;
  /** Keys that replace the file's (flags), already resolved: absolute paths. */
  overrides?: Record<string, unknown>;
  onEvent?(e: RunEvent | TorchNote): void;
}

interface ErrorEvent {
  type: 'error';
  rank: number;
  message: string;
  input?: { file: string; problem: string };
}

async function torchInfo(opts: TorchProcessOptions): Promise<TorchInfo> {
  if (opts.info) return opts.info;
  const probe = await probeTorch(opts.python);
  if (!probe.ok) throw new TorchUnavailableError(opts.python, probe.reason);
  return probe.info;
}

/** A device list must name devices this node has: CUDA would otherwise fail each rank on its own. */
function checkDeviceList(devices: DevicesSpec, info: TorchInfo, where: string): void {
  if (!Array.isArray(devices)) return;
  const missing = devices.filter((d) => d >= info.cuda.length);
  if (missing.length > 0)
    throw new InputError(
      where,
      `"devices" names CUDA device ${missing.join(', ')}, but ${info.executable} sees ${info.cuda.length} CUDA device(s)`,
    );
}

/** A port free now on the loopback, for a one-node rendezvous. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Why a process group that ended without its last event ended, in one line. */
function exitLine(exit: EngineExit, python: string, what: string): Error {
  if (exit.spawnError?.code === 'ENOENT')
    return new TorchUnavailableError(python, `no Python at ${python}: set embeddingLens.pythonPath or --python`);
  if (exit.spawnError)
    return new TorchEngineError(`could not start ${python} (${exit.spawnError.code ?? exit.spawnError.message})`);
  const how =
    exit.signal === 'SIGKILL'
      ? 'was killed (SIGKILL: out of memory?)'
      : exit.signal
        ? `was stopped by ${exit.signal}`
        : `exited with code ${String(exit.code)}`;
  return new TorchEngineError(
    `the torch engine ${how} before ${what}${exit.lastStderrLine ? `: ${exit.lastStderrLine}` : ''}`,
  );
}

/** A fresh temporary folder for the cancel file (and a generated config), removed afterwards with whatever is in it. */
async function inWorkFolder<T>(body: (workDir: string, cancelFile: string) => Promise<T>): Promise<T> {
  const workDir = await fsp.mkdtemp(path.join(tmpdir(), 'embedding-lens-'));
  try {
    return await body(workDir, path.join(workDir, 'cancel'));
  } finally {
    await fsp.rm(workDir, { recursive: true, force: true });
  }
}

function runCommand(
  command: EngineCommand,
  cancelFile: string,
  opts: TorchProcessOptions,
  onEvent: (e: EngineEvent) => void,
): Promise<EngineExit> {
  return runEngineProcess(command, {
    cancelFile,
    token: opts.token,
    onEvent,
    onLog: opts.onLog,
    stopGraceMs: opts.stopGraceMs,
    killGraceMs: opts.killGraceMs,
  });
}

/** The config as the ranks read it when no file holds it (the CLI's --train/--eval): already resolved. */
function configFileContent(config: TrainConfig): string {
  const one = (files: string[]) => (files.length === 1 ? files[0] : files);
  return JSON.stringify({ ...config, train: one(config.train), eval: one(config.eval) }, null, 1);
}

/**
 * A training run on the torch engine. Resolves the run's summary (completed, cancelled or
 * diverged); rejects with an InputError for the user's input (config, data, model, environment), a
 * RankError for a rank that failed otherwise, CancelledError for a cancel the ranks did not
 * acknowledge before they were stopped, and a TorchEngineError with one line for anything else.
 */
export async function runTorchTraining(config: TrainConfig, opts: TorchTrainingOptions): Promise<RunSummary> {
  throwIfCancelled(opts.token);
  const source = opts.configFile ?? 'the run configuration';
  const info = await torchInfo(opts);
  checkDeviceList(config.devices, info, source);
  throwIfCancelled(opts.token);
  const { ranks } = ranksFor(config.devices, info.cuda.length);
  const localRendezvousPort = ranks > 1 && config.nodes.count === 1 ? await freePort() : undefined;
  return inWorkFolder(async (workDir, cancelFile) => {
    let configFile = opts.configFile;
    let overrides = opts.overrides ?? {};
    if (configFile === undefined) {
      configFile = path.join(workDir, `${config.name}.m2mix.json`);
      await fsp.writeFile(configFile, configFileContent(config));
      overrides = {};
    }
    const command = trainCommand(config, configFile, overrides, {
      python: opts.python,
      cudaDeviceCount: info.cuda.length,
      localRendezvousPort,
    });
    let summary: RunSummary | undefined;
    let error: ErrorEvent | undefined;
    const exit = await runCommand(command, cancelFile, opts, (e) => {
      if (e.type === 'summary') {
        const { type: _type, ...rest } = e;
        summary = rest as unknown as RunSummary;
      } else if (e.type === 'error') {
        // The first rank to fail is the cause; the others usually fail on the broken collective after it.
        error ??= e as unknown as ErrorEvent;
      } else if (
        e.type === 'start' ||
        e.type === 'step' ||
        e.type === 'eval' ||
        e.type === 'checkpoint' ||
        e.type === 'note'
      ) {
        opts.onEvent?.(e as unknown as RunEvent | TorchNote);
      } else {
        opts.onLog?.(JSON.stringify(e), 'stdout');
      }
    });
    if (summary) return summary;
    if (error?.input) throw new InputError(error.input.file, error.input.problem);
    if (error)
      throw new RankError(
        error.rank,
        error.message,
        path.join(config.out, config.name, `rank-${error.rank}.traceback.txt`),
      );
    if (exit.addressInUse) {
      throw new InputError(
        source,
        config.nodes.count > 1
          ? `the rendezvous port of "nodes.rendezvous" (${config.nodes.rendezvous}) is taken: pick another port`
          : 'a rendezvous port was taken between choosing it and binding it: run again (one-node runs choose a free port)',
      );
    }
    if (exit.cancelled) throw new CancelledError();
    throw exitLine(exit, opts.python, 'its summary');
  });
}

export interface EmbedRequest {
  model: ModelSpec;
  /** Absolute: the CSV/TSV of image paths and captions. */
  data: string;
  /** Absolute: the safetensors file to write. */
  out: string;
  imageColumn?: string;
  captionColumn?: string;
  batchSize?: number;
  precision?: Precision;
  devices?: DevicesSpec;
}

export interface EmbedProgress {
  type: 'progress';
  done: number;
  total: number;
}

export interface EmbedResult {
  file: string;
  images: number;
  texts: number;
}

export interface TorchEmbeddingOptions extends TorchProcessOptions {
  onEvent?(e: EmbedProgress | TorchNote): void;
}

function embedArgs(req: EmbedRequest): string[] {
  const args = ['embed', '--model', JSON.stringify(req.model), '--data', req.data, '--out', req.out];
  const optional: [string, string | number | undefined][] = [
    ['--image-column', req.imageColumn],
    ['--caption-column', req.captionColumn],
    ['--batch-size', req.batchSize],
    ['--precision', req.precision],
  ];
  for (const [flag, v] of optional) if (v !== undefined) args.push(flag, String(v));
  return args;
}

/** Image and caption embeddings of a CSV dataset into a safetensors file, sharded over the ranks of `devices`. */
export async function runTorchEmbedding(req: EmbedRequest, opts: TorchEmbeddingOptions): Promise<EmbedResult> {
  throwIfCancelled(opts.token);
  const devices = req.devices ?? 'auto';
  const info = await torchInfo(opts);
  checkDeviceList(devices, info, req.data);
  throwIfCancelled(opts.token);
  const { ranks } = ranksFor(devices, info.cuda.length);
  const localRendezvousPort = ranks > 1 ? await freePort() : undefined;
  const command = engineCommand(embedArgs(req), devices, { count: 1 }, 'embed', {
    python: opts.python,
    cudaDeviceCount: info.cuda.length,
    localRendezvousPort,
  });
  return inWorkFolder(async (_workDir, cancelFile) => {
    let result: EmbedResult | undefined;
    let error: ErrorEvent | undefined;
    const exit = await runCommand(command, cancelFile, opts, (e) => {
      if (e.type === 'embedded')
        result = { file: e.file as string, images: e.images as number, texts: e.texts as number };
      else if (e.type === 'error') error ??= e as unknown as ErrorEvent;
      else if (e.type === 'progress' || e.type === 'note') opts.onEvent?.(e as unknown as EmbedProgress | TorchNote);
      else opts.onLog?.(JSON.stringify(e), 'stdout');
    });
    if (result) return result;
    if (error?.input) throw new InputError(error.input.file, error.input.problem);
    if (error) throw new RankError(error.rank, error.message);
    if (exit.cancelled) throw new CancelledError();
    throw exitLine(exit, opts.python, 'writing the embeddings');
  });
}
