/**
 * The compute worker: every heavy job runs here, on TensorFlow.js, never in the extension host.
 * Jobs run one at a time; a cancel arrives through a shared-memory flag the job polls between
 * blocks, so it is seen even while the job never yields.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeFiles } from '../core/analyzeFiles';
import { initBackend, probeGflops, type BackendChoice } from '../core/backend';
import { SharedCancelToken } from '../core/cancel';
import { analyzeCheckpoints } from '../core/compare/analyzeCheckpoints';
import { CancelledError, NeedsPartnerError, oneLine } from '../core/errors';
import { buildSnapshot } from '../core/snapshot';
import { loadConfig } from '../core/train/config';
import { train } from '../core/train/trainer';
import type { BackendReport, WorkerInit, WorkerReply, WorkerRequest } from '../protocol/worker';

const port = parentPort!;
const init = workerData as WorkerInit;
let backend: Promise<BackendChoice> | undefined;
let report: BackendReport | undefined;

function post(reply: WorkerReply): void {
  port.postMessage(reply);
}

async function handle(req: WorkerRequest): Promise<void> {
  backend ??= initBackend(init.backend === 'auto' ? 'auto' : init.backend);
  const choice = await backend;
  switch (req.type) {
    case 'backend':
      report ??= { name: choice.name, detail: choice.detail, gflops: await probeGflops(1), skipped: choice.skipped };
      post({ id: req.id, type: 'backend', report });
      return;
    case 'analyze': {
      const token = new SharedCancelToken(req.cancel);
      const analyzed = await analyzeFiles(req.files, req.settings, token, (fraction, message) =>
        post({ id: req.id, type: 'progress', fraction, message: message ?? '' }),
      );
      post({ id: req.id, type: 'analysis', snapshot: await buildSnapshot(analyzed, choice.name) });
      return;
    }
    case 'compare': {
      const token = new SharedCancelToken(req.cancel);
      const data = await analyzeCheckpoints(req.checkpoints, req.settings, choice.name, token, (fraction, message) =>
        post({ id: req.id, type: 'progress', fraction, message: message ?? '' }),
      );
      post({ id: req.id, type: 'comparison', data });
      return;
    }
    case 'train': {
      const config = await loadConfig(req.configFile);
      let [total, done, message] = [1, 0, 'evaluating epoch 0'];
      const summary = await train(config, {
        token: new SharedCancelToken(req.cancel),
        onEvent(event) {
          if (event.type === 'start') [total, done, message] = [Math.max(1, event.totalSteps), event.firstStep, 'training'];
          if (event.type === 'step') [done, message] = [event.step, `epoch ${event.epoch}, loss ${event.loss.toFixed(4)}`];
          post({ id: req.id, type: 'progress', fraction: done / total, message, event });
        },
      });
      post({ id: req.id, type: 'trained', summary });
      return;
    }
  }
}

let queue = Promise.resolve();
port.on('message', (req: WorkerRequest) => {
  queue = queue.then(() =>
    handle(req).catch((err: unknown) => {
      if (err instanceof CancelledError) post({ id: req.id, type: 'cancelled' });
      else post({ id: req.id, type: 'error', message: oneLine(err), needsPartner: err instanceof NeedsPartnerError });
    }),
  );
});
