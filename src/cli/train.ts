/** `embedding-lens train`: an m2-Mix fine-tuning run from a *.m2mix.json config and/or flags, on either engine. */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ladder, type BackendName } from '../core/backend/backendLadder';
import { SharedCancelToken } from '../core/util/cancel';
import { CancelledError, InputError } from '../core/util/errors';
import { loadConfig, parseConfig, type TrainConfig } from '../core/train/config';
import type { RunEvent, RunSummary } from '../core/train/events';
import { runTorchTraining, type TorchNote } from '../core/torch/engine';
import { launchCommandLine, slurmScript, trainCommand as torchTrainCommand } from '../core/torch/launch';
import { enginePackageDir, probeTorch } from '../core/torch/python';
import type { WorkerInit, WorkerReply, WorkerRequest } from '../protocol/worker';
import { parseArgs, rejectUnknown, UsageError, type ParsedArgs } from './args';
import { terminalProgress } from './progress';
import { devicesFrom, pythonFrom, reportFailure } from './torchOptions';

const help = `usage: embedding-lens train [CONFIG.m2mix.json] [options]   (flags override the config)
  --train FILE[,FILE]  --eval FILE[,FILE]   heads: embeddings in one file, or image,text; a full model: a CSV/TSV
  --loss clip|m2mix|m3mix   --weights m2=0.1,v=0.05,l=0.05,vl=0.05
  --tau 0.01  --tau-m 0.07  --beta 0.5  --epochs 10  --batch-size 128  --lr 1e-4  --weight-decay 0.2
  --warmup 0.1  --seed 0  --joint-dim D  --best-metric mean_R@1|id_top1|ood_mean|…  --scale-mixup-by-epoch
  --eval-suites A.suite.json[,B]   zero-shot suites measured every epoch (tfjs engine); --train may be a classification set
  --out runs  --name NAME  --resume  --json  --backend auto|${ladder.join('|')}   (tfjs engine)
  --engine tfjs|torch   the torch engine runs the config's "model" through torchrun (python/README.md):
  --python PATH         its interpreter (else $EMBEDDING_LENS_PYTHON, else python3 on PATH)
  --devices auto|N|0,1  ranks per node: every CUDA device, N ranks (CPU: N gloo processes), these GPUs
  --precision fp32|bf16|amp
  --verbose             pass the engine's own output (library warnings, tracebacks) to stderr
  --print-launch        print the command that starts the ranks (run it on every node) instead of running
  --slurm FILE          write an sbatch script for the config's "nodes" instead of running`;

const numberFlags: Record<string, string> = {
  tau: 'tau',
  'tau-m': 'tauM',
  beta: 'beta',
  epochs: 'epochs',
  'batch-size': 'batchSize',
  lr: 'lr',
  'weight-decay': 'weightDecay',
  warmup: 'warmup',
  seed: 'seed',
  'joint-dim': 'jointDim',
};
const stringFlags: Record<string, string> = {
  loss: 'loss',
  name: 'name',
  'best-metric': 'bestMetric',
  engine: 'engine',
  precision: 'precision',
};
const booleanFlags: Record<string, string> = { resume: 'resume', 'scale-mixup-by-epoch': 'scaleMixupByEpoch' };
const weightKeys = ['m2', 'v', 'l', 'vl'];

function toNumber(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got '${v}'`);
  return n;
}

/** Flag values as config keys; paths resolved against the working folder. */
function overridesFrom(args: ParsedArgs): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const get = (k: string): string | undefined => {
    const v = args.options.get(k);
    if (v === true) throw new UsageError(`option --${k} needs a value`);
    return v;
  };
  for (const [flag, key] of Object.entries(numberFlags)) {
    const v = get(flag);
    if (v !== undefined) o[key] = toNumber(flag, v);
  }
  for (const [flag, key] of Object.entries(stringFlags)) {
    const v = get(flag);
    if (v !== undefined) o[key] = v;
  }
  for (const [flag, key] of Object.entries(booleanFlags)) if (args.options.has(flag)) o[key] = true;
  for (const key of ['train', 'eval']) {
    const v = get(key);
    if (v !== undefined) o[key] = v.split(',').map((f) => path.resolve(f));
  }
  const suites = get('eval-suites');
  if (suites !== undefined) o.evalSuites = suites.split(',').map((f) => path.resolve(f));
  const out = get('out');
  if (out !== undefined) o.out = path.resolve(out);
  const devices = devicesFrom(args);
  if (devices !== undefined) o.devices = devices;
  const weights = get('weights');
  if (weights !== undefined) {
    const w: Record<string, number> = {};
    for (const part of weights.split(',')) {
      const [k, v] = part.split('=');
      if (!weightKeys.includes(k) || v === undefined)
        throw new UsageError(`--weights takes ${weightKeys.map((t) => t + '=W').join(',')}, got '${part}'`);
      w[k] = toNumber('weights', v);
    }
    o.weights = w;
  }
  return o;
}

interface ConfigSource {
  config: TrainConfig;
  /** Absent when the flags are the whole config. */
  file?: string;
  overrides: Record<string, unknown>;
}

async function configFrom(args: ParsedArgs): Promise<ConfigSource> {
  if (args.positional.length > 1) throw new UsageError('train takes at most one config file');
  const overrides = overridesFrom(args);
  const [file] = args.positional;
  // Messages name the file as it was typed; the ranks, in another folder perhaps, get its absolute path.
  if (file !== undefined) return { config: await loadConfig(file, overrides), file: path.resolve(file), overrides };
  if (overrides.train === undefined || overrides.eval === undefined)
    throw new UsageError('give a CONFIG.m2mix.json, or both --train and --eval');
  return { config: parseConfig(overrides, 'command line', { baseDir: process.cwd(), defaultName: 'run' }), overrides };
}

function evalLine(e: Extract<RunEvent, { type: 'eval' }>): string {
  const m = e.metrics;
  const suites = (e.suites ?? [])
    .map((s) => `; ${s.suite}: ID top-1 ${s.inDistribution.result.top1.toFixed(1)}, OOD mean ${s.ood_mean.toFixed(1)}`)
    .join('');
  return `epoch ${e.epoch}: R@1 i2t ${m.i2t['R@1'].toFixed(1)} t2i ${m.t2i['R@1'].toFixed(1)}, alignment ${m.alignment.toFixed(4)}, uniformity ${m.uniformity.toFixed(4)}, gap ${m.modality_gap.toFixed(4)}${suites}`;
}

/**
 * The run in the compute worker bundled beside this CLI, not on its main thread: a wasm step at a
 * large batch computes for seconds without yielding, and Ctrl-C's handler could not run until it
 * ended. In the worker the step reads the cancel flag (shared memory) between its products.
 */
function trainInWorker(
  config: TrainConfig,
  backend: BackendName | 'auto',
  token: SharedCancelToken,
  hooks: { onEvent(e: RunEvent): void },
): Promise<RunSummary> {
  const worker = new Worker(path.join(__dirname, 'worker.js'), { workerData: { backend } satisfies WorkerInit });
  const done = new Promise<RunSummary>((resolve, reject) => {
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'progress' && reply.event) hooks.onEvent(reply.event);
      else if (reply.type === 'trained') resolve(reply.summary);
      else if (reply.type === 'cancelled') reject(new CancelledError());
      else if (reply.type === 'error')
        reject(reply.input ? new InputError(reply.input.file, reply.input.problem) : new Error(reply.message));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`the compute worker exited (code ${code})`)));
  });
  worker.postMessage({ id: 1, type: 'train', config, cancel: token.buffer } satisfies WorkerRequest);
  return done.finally(() => worker.terminate());
}

/**
 * The ranks' command instead of a run: --print-launch prints it, --slurm writes it as an sbatch
 * script. The ranks read the config file, so there must be one.
 */
async function writeLaunch(source: ConfigSource, python: string, slurmFile: string | undefined): Promise<number> {
  if (source.file === undefined)
    throw new UsageError('--print-launch and --slurm need a CONFIG.m2mix.json: the ranks read it');
  if (source.config.engine !== 'torch')
    throw new UsageError(
      '--print-launch and --slurm launch the torch engine: set "engine": "torch" (or --engine torch)',
    );
  // "devices": "auto" counts this machine's GPUs; a login node without torch counts none.
  const probe = await probeTorch(python);
  if (!probe.ok)
    process.stderr.write(`embedding-lens: ${probe.reason}; "devices": "auto" is written as one rank per node\n`);
  const cudaDeviceCount = probe.ok ? probe.info.cuda.length : 0;
  if (slurmFile === undefined) {
    const command = torchTrainCommand(source.config, source.file, source.overrides, { python, cudaDeviceCount });
    process.stdout.write(launchCommandLine(command, enginePackageDir()) + '\n');
    return 0;
  }
  const script = slurmScript(source.config, source.file, source.overrides, {
    python,
    packageDir: enginePackageDir(),
    gpusPerNode: cudaDeviceCount || undefined,
  });
  await fsp.writeFile(slurmFile, script, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(slurmFile, `cannot write the SLURM script (${err.code ?? err.message})`);
  });
  process.stdout.write(`wrote ${slurmFile}: sbatch ${slurmFile}\n`);
  return 0;
}

export async function trainCommand(argv: string[], token = new SharedCancelToken()): Promise<number> {
  try {
    const launchFlags = ['print-launch', 'verbose'];
    const args = parseArgs(argv, ['json', 'help', ...launchFlags, ...Object.keys(booleanFlags)]);
    if (args.options.has('help')) {
      process.stdout.write(help + '\n');
      return 0;
    }
    rejectUnknown(args, [
      'json',
      'help',
      'train',
      'eval',
      'eval-suites',
      'out',
      'weights',
      'backend',
      'python',
      'slurm',
      'devices',
      ...launchFlags,
      ...Object.keys(numberFlags),
      ...Object.keys(stringFlags),
      ...Object.keys(booleanFlags),
    ]);
    const source = await configFrom(args);
    const config = source.config;
    const want = (args.options.get('backend') ?? 'auto') as string;
    if (want !== 'auto' && !ladder.includes(want as BackendName))
      throw new UsageError(`--backend must be auto or one of ${ladder.join(', ')}`);
    const torch = config.engine === 'torch';
    if (torch && args.options.has('backend'))
      throw new UsageError(
        '--backend chooses a TensorFlow.js backend; the torch engine runs on the config\'s "devices"',
      );
    const python = pythonFrom(args);
    const slurmFile = args.options.get('slurm');
    if (slurmFile === true) throw new UsageError('option --slurm needs a value');
    if (args.options.has('print-launch') || slurmFile !== undefined)
      return await writeLaunch(source, python, slurmFile);
    const json = args.options.has('json');
    const progress = terminalProgress('train');
    let total = 1;
    const onEvent = (e: RunEvent | TorchNote) => {
      if (json && (e.type === 'step' || e.type === 'eval')) process.stdout.write(JSON.stringify(e) + '\n');
      if (e.type === 'start') {
        total = Math.max(1, e.totalSteps);
        for (const note of e.notes) process.stderr.write(`embedding-lens: ${note}\n`);
      }
      if (e.type === 'note') {
        progress.done();
        process.stderr.write(`embedding-lens: ${e.message}\n`);
      }
      if (e.type === 'step') progress.report(e.step / total, `epoch ${e.epoch} loss ${e.loss.toFixed(4)}`);
      if (e.type === 'eval' && !json) {
        progress.done();
        process.stdout.write(evalLine(e) + '\n');
      }
    };
    const verbose = args.options.has('verbose');
    const summary = torch
      ? await runTorchTraining(config, {
          python,
          configFile: source.file,
          overrides: source.overrides,
          token,
          onEvent,
          onLog: (line) => {
            if (!verbose) return;
            progress.done();
            process.stderr.write(line + '\n');
          },
        }).finally(() => progress.done())
      : await trainInWorker(config, want as BackendName | 'auto', token, { onEvent });
    progress.done();
    if (json) process.stdout.write(JSON.stringify({ type: 'summary', ...summary }) + '\n');
    else
      process.stdout.write(
        `${summary.status}: ${summary.steps} steps, best ${summary.bestMetric} ${Number(summary.bestValue.toFixed(4))} at epoch ${summary.bestEpoch}, in ${summary.runDir}\n`,
      );
    if (summary.status === 'completed') return 0;
    process.stderr.write(`embedding-lens: ${summary.message}\n`);
    return summary.status === 'cancelled' ? 130 : 1;
  } catch (err) {
    const code = reportFailure(err);
    if (code === undefined) throw err;
    return code;
  }
}
