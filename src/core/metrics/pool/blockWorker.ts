/**
 * Block worker entry (dist/blockWorker.js): starts the parent's backend (wasm or cpu: both run one
 * thread each in Node, hence one worker per core), then runs the units it claims, phase by phase.
 */
import * as tf from '@tensorflow/tfjs-core';
import { parentPort, workerData } from 'node:worker_threads';
import { oneLine } from '../../util/errors';
import { loadWasmBackend } from '../../backend/wasmBinaries';
import { transferList } from './columns';
import type { BlockWorkerInit, BlockWorkerReply, Phase } from './pool';
import { BlockRunner } from './runner';

const port = parentPort!;
const { spec, backend } = workerData as BlockWorkerInit;
const post = (reply: BlockWorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

async function runPhase(runner: BlockRunner, phase: Phase): Promise<void> {
  const units = phase === 'diag' ? spec.diagUnits : spec.units;
  for (let i: number; (i = Atomics.add(spec.next, phase === 'diag' ? 0 : 1, 1)) < units.length;) {
    if (phase === 'diag') await runner.diagonal(units[i]);
    else await runner.run(i);
    post({ type: 'unit', cost: units[i].cost });
  }
  if (phase === 'diag') return post({ type: 'done', phase });
  const columns = runner.columns;
  runner.dispose();
  post({ type: 'done', phase, columns }, columns ? transferList(columns) : []);
}

async function main(): Promise<void> {
  if (backend === 'wasm') await loadWasmBackend();
  else await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend(backend))) throw new Error(`could not start the ${backend} backend`);
  const runner = new BlockRunner(spec);
  port.on('message', (phase: Phase) =>
    runPhase(runner, phase).catch((err: unknown) => post({ type: 'error', message: oneLine(err) })),
  );
  post({ type: 'ready' });
}

main().catch((err: unknown) => post({ type: 'error', message: oneLine(err) }));
