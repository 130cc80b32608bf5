/**
 * Runs the pass's units either here or on a pool of block workers (worker_threads). Workers claim
 * units from a shared counter, so the triangle's uneven blocks balance themselves; each writes its
 * rows straight into the shared outputs and returns its column statistics at the end. The pool is
 * terminated on completion, error and cancel, which frees each worker's backend memory with it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { throwIfCancelled, type CancelToken } from '../../util/cancel';
import { CancelledError } from '../../util/errors';
import { mergeColumns, type ColumnStats } from './columns';
import { BlockRunner } from './runner';
import type { PassSpec } from './spec';

export type PoolBackend = 'wasm' | 'cpu';

export interface BlockWorkerInit {
  spec: PassSpec;
  backend: PoolBackend;
}

export type Phase = 'diag' | 'main';

export type BlockWorkerReply =
  | { type: 'ready' }
  | { type: 'unit'; cost: number }
  | { type: 'done'; phase: Phase; columns?: ColumnStats }
  | { type: 'error'; message: string };

/**
 * The block worker script: dist/blockWorker.js beside the bundle that runs this (esbuild puts every
 * bundle in dist/), or blockWorker.js beside this module's compiled output under out/ (tsc), which
 * is how the unit tests get a real pool. Undefined when neither exists: the caller runs in-process.
 */
export function blockWorkerFile(): string | undefined {
  const file = join(__dirname, 'blockWorker.js');
  return existsSync(file) ? file : undefined;
}

/** Runs every unit in this thread; returns the column statistics (columns mode). */
export async function runInProcess(
  spec: PassSpec,
  token: CancelToken | undefined,
  onUnit: (cost: number) => void,
): Promise<ColumnStats | undefined> {
  const runner = new BlockRunner(spec);
  try {
    for (const u of spec.diagUnits) {
      await runner.diagonal(u);
      onUnit(u.cost);
      throwIfCancelled(token);
    }
    for (let i = 0; i < spec.units.length; i++) {
      await runner.run(i);
      onUnit(spec.units[i].cost);
      throwIfCancelled(token);
    }
    return runner.columns;
  } finally {
    runner.dispose();
  }
}

export function runPool(
  spec: PassSpec,
  count: number,
  file: string,
  backend: PoolBackend,
  token: CancelToken | undefined,
  onUnit: (cost: number) => void,
): Promise<ColumnStats | undefined> {
  return new Promise((resolve, reject) => {
    const init: BlockWorkerInit = { spec, backend };
    const workers = Array.from({ length: count }, () => new Worker(file, { workerData: init }));
    let settled = false;
    const finish = (err: unknown, value?: ColumnStats) => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      for (const w of workers) void w.terminate();
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(value);
    };
    // The caller's token may be a plain object flipped from this thread (SIGINT, the host): poll it.
    const poll = setInterval(() => token?.isCancellationRequested && finish(new CancelledError()), 50);
    const start = (phase: Phase) => workers.forEach((w) => w.postMessage(phase));
    let ready = 0;
    let diagDone = 0;
    let mainDone = 0;
    let merged: ColumnStats | undefined;
    const invTau = 1 / spec.eceTau;
    for (const w of workers) {
      w.on('message', (msg: BlockWorkerReply) => {
        if (settled) return;
        if (msg.type === 'ready') {
          if (++ready === count) start(spec.diagUnits.length ? 'diag' : 'main');
        } else if (msg.type === 'unit') {
          onUnit(msg.cost);
          if (token?.isCancellationRequested) finish(new CancelledError());
        } else if (msg.type === 'error') finish(new Error(`block worker: ${msg.message}`));
        else if (msg.phase === 'diag') {
          if (++diagDone === count) start('main');
        } else {
          if (msg.columns && merged) mergeColumns(merged, msg.columns, invTau);
          else if (msg.columns) merged = msg.columns;
          if (++mainDone === count) finish(undefined, merged);
        }
      });
      w.on('error', (err) => finish(err));
      w.on('exit', (code) => finish(new Error(`block worker exited early (code ${code})`)));
    }
  });
}
