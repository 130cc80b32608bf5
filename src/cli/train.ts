/** `embedding-lens train`: an m2-Mix fine-tuning run from a *.m2mix.json config and/or flags. */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ladder, type BackendName } from '../core/backend';
import { SharedCancelToken } from '../core/cancel';
import { CancelledError, InputError, oneLine } from '../core/errors';
import { loadConfig, parseConfig, type TrainConfig } from '../core/train/config';
import type { RunEvent, RunSummary } from '../core/train/events';
import type { WorkerInit, WorkerReply, WorkerRequest } from '../protocol/worker';
import { parseArgs, rejectUnknown, UsageError, type ParsedArgs } from './args';
import { terminalProgress } from './progress';

const help = `usage: embedding-lens train [CONFIG.m2mix.json] [options]   (flags override the config)
  --train FILE[,FILE]  --eval FILE[,FILE]   embeddings: one file with both modalities, or image,text
  --loss clip|m2mix|m3mix   --weights m2=0.1,v=0.05,l=0.05,vl=0.05
  --tau 0.01  --tau-m 0.07  --beta 0.5  --epochs 10  --batch-size 128  --lr 1e-4  --weight-decay 0.2
  --warmup 0.1  --seed 0  --joint-dim D  --best-metric mean_R@1  --scale-mixup-by-epoch
  --out runs  --name NAME  --resume  --json  --backend auto|${ladder.join('|')}`;

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
const stringFlags: Record<string, string> = { loss: 'loss', name: 'name', 'best-metric': 'bestMetric' };
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
  const out = get('out');
  if (out !== undefined) o.out = path.resolve(out);
  const weights = get('weights');
  if (weights !== undefined) {
    const w: Record<string, number> = {};
    for (const part of weights.split(',')) {
      const [k, v] = part.split('=');
      if (!weightKeys.includes(k) || v === undefined) throw new UsageError(`--weights takes ${weightKeys.map((t) => t + '=W').join(',')}, got '${part}'`);
      w[k] = toNumber('weights', v);
    }
    o.weights = w;
  }
  return o;
}

async function configFrom(args: ParsedArgs): Promise<TrainConfig> {
  if (args.positional.length > 1) throw new UsageError('train takes at most one config file');
  const overrides = overridesFrom(args);
  if (args.positional.length === 1) return loadConfig(args.positional[0], overrides);
  if (overrides.train === undefined || overrides.eval === undefined) throw new UsageError('give a CONFIG.m2mix.json, or both --train and --eval');
  return parseConfig(overrides, 'command line', { baseDir: process.cwd(), defaultName: 'run' });
}

function evalLine(e: Extract<RunEvent, { type: 'eval' }>): string {
  const m = e.metrics;
  return `epoch ${e.epoch}: R@1 i2t ${m.i2t['R@1'].toFixed(1)} t2i ${m.t2i['R@1'].toFixed(1)}, alignment ${m.alignment.toFixed(4)}, uniformity ${m.uniformity.toFixed(4)}, gap ${m.modality_gap.toFixed(4)}`;
}

/**
 * The run in the compute worker bundled beside this CLI, not on its main thread: a wasm step at a
 * large batch computes for seconds without yielding, and Ctrl-C's handler could not run until it
 * ended. In the worker the step reads the cancel flag (shared memory) between its products.
 */
function trainInWorker(config: TrainConfig, backend: BackendName | 'auto', token: SharedCancelToken, hooks: { onEvent(e: RunEvent): void }): Promise<RunSummary> {
  const worker = new Worker(path.join(__dirname, 'worker.js'), { workerData: { backend } satisfies WorkerInit });
  const done = new Promise<RunSummary>((resolve, reject) => {
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'progress' && reply.event) hooks.onEvent(reply.event);
      else if (reply.type === 'trained') resolve(reply.summary);
      else if (reply.type === 'cancelled') reject(new CancelledError());
      else if (reply.type === 'error') reject(reply.input ? new InputError(reply.input.file, reply.input.problem) : new Error(reply.message));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`the compute worker exited (code ${code})`)));
  });
  worker.postMessage({ id: 1, type: 'train', config, cancel: token.buffer } satisfies WorkerRequest);
  return done.finally(() => worker.terminate());
}

export async function trainCommand(argv: string[], token = new SharedCancelToken()): Promise<number> {
  try {
    const args = parseArgs(argv, ['json', 'help', ...Object.keys(booleanFlags)]);
    if (args.options.has('help')) {
      process.stdout.write(help + '\n');
      return 0;
    }
    rejectUnknown(args, ['json', 'help', 'train', 'eval', 'out', 'weights', 'backend', ...Object.keys(numberFlags), ...Object.keys(stringFlags), ...Object.keys(booleanFlags)]);
    const config = await configFrom(args);
    const want = (args.options.get('backend') ?? 'auto') as string;
    if (want !== 'auto' && !ladder.includes(want as BackendName)) throw new UsageError(`--backend must be auto or one of ${ladder.join(', ')}`);
    const json = args.options.has('json');
    const progress = terminalProgress('train');
    let total = 1;
    const summary = await trainInWorker(config, want as BackendName | 'auto', token, {
      onEvent(e) {
        if (json && (e.type === 'step' || e.type === 'eval')) process.stdout.write(JSON.stringify(e) + '\n');
        if (e.type === 'start') {
          total = Math.max(1, e.totalSteps);
          for (const note of e.notes) process.stderr.write(`embedding-lens: ${note}\n`);
        }
        if (e.type === 'step') progress.report(e.step / total, `epoch ${e.epoch} loss ${e.loss.toFixed(4)}`);
        if (e.type === 'eval' && !json) {
          progress.done();
          process.stdout.write(evalLine(e) + '\n');
        }
      },
    });
    progress.done();
    if (json) process.stdout.write(JSON.stringify({ type: 'summary', ...summary }) + '\n');
    else process.stdout.write(`${summary.status}: ${summary.steps} steps, best ${summary.bestMetric} ${Number(summary.bestValue.toFixed(4))} at epoch ${summary.bestEpoch}, in ${summary.runDir}\n`);
    if (summary.status === 'completed') return 0;
    process.stderr.write(`embedding-lens: ${summary.message}\n`);
    return summary.status === 'cancelled' ? 130 : 1;
  } catch (err) {
    if (err instanceof InputError || err instanceof UsageError) {
      process.stderr.write(`embedding-lens: ${oneLine(err)}\n`);
      return 2;
    }
    throw err;
  }
}
