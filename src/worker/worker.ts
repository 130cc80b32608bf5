/**
 * The compute worker: every heavy job runs here, on TensorFlow.js, never in the extension host.
 * Jobs run one at a time; a cancel arrives through a shared-memory flag the job polls between
 * blocks, so it is seen even while the job never yields.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, probeGflops } from '../core/backend/backendLadder';
import { SharedCancelToken } from '../core/util/cancel';
import { analyzeInput, type AnalyzePairs } from '../core/classification/analyzeInput';
import { analyzeFilesOnTorch } from '../core/analysis/analyzeFilesOnTorch';
import { analyzeCheckpoints } from '../snapshots/compare/analyzeCheckpoints';
import { analyzeSuites, comparesSuites } from '../snapshots/compare/analyzeSuites';
import { compareOnTorch } from '../snapshots/compare/compareOnTorch';
import { CancelledError, DeviceLostError, InputError, NeedsPartnerError, oneLine } from '../core/util/errors';
import { buildPanelSnapshot } from '../snapshots/analysis/panelSnapshot';
import { layOutDosnes } from '../snapshots/analysis/analysisSnapshot';
import { loadConfig } from '../core/train/config';
import { train } from '../core/train/trainer';
import { releasePooledBuffers } from '../core/backend/webgpuRung';
import type { BackendReport, WorkerInit, WorkerReply, WorkerRequest } from '../protocol/worker';

const port = parentPort!;
const init = workerData as WorkerInit;
let report: BackendReport | undefined;
function post(reply: WorkerReply): void {
  port.postMessage(reply);
}

async function handle(req: WorkerRequest): Promise<void> {
  // Asked at every job: the choice is kept, and made again once a GPU device is lost.
  const choice = await initBackend(init.backend === 'auto' ? 'auto' : init.backend);
  switch (req.type) {
    case 'backend':
      if (report?.name !== choice.name)
        report = { name: choice.name, detail: choice.detail, gflops: await probeGflops(1), skipped: choice.skipped };
      post({ id: req.id, type: 'backend', report });
      return;
    case 'analyze': {
      const token = new SharedCancelToken(req.cancel);
      const torch = req.torch;
      // Suites and classification sets stay on tfjs: the torch engine's pass is the one over pairs.
      const analyzePairs: AnalyzePairs | undefined =
        torch &&
        ((files, settings, pairsToken, onProgress) =>
          analyzeFilesOnTorch(files, settings, torch, pairsToken, onProgress));
      const outcome = await analyzeInput(
        req.files,
        req.settings,
        token,
        (fraction, message) => post({ id: req.id, type: 'progress', fraction, message: message ?? '' }),
        analyzePairs,
      );
      const { snapshot, dosnes } = await buildPanelSnapshot(outcome, req.files, choice.name);
      post({ id: req.id, type: 'analysis', snapshot, dosnes });
      return;
    }
    case 'dosnes': {
      const token = new SharedCancelToken(req.cancel);
      const layout = layOutDosnes(req.input, {
        token,
        progress: (fraction) => post({ id: req.id, type: 'progress', fraction, message: 'laying out with DOSNES' }),
      });
      post({ id: req.id, type: 'dosnes', layout });
      return;
    }
    case 'compare': {
      const token = new SharedCancelToken(req.cancel);
      const progress = (fraction: number, message?: string) =>
        post({ id: req.id, type: 'progress', fraction, message: message ?? '' });
      const data = req.torch
        ? await compareOnTorch(req.checkpoints, req.settings, req.torch, token, progress)
        : (await comparesSuites(req.checkpoints))
          ? await analyzeSuites(req.checkpoints, req.settings, choice.name, token, progress)
          : await analyzeCheckpoints(req.checkpoints, req.settings, choice.name, token, progress);
      post({ id: req.id, type: 'comparison', data });
      return;
    }
    case 'train': {
      const config = 'config' in req ? req.config : await loadConfig(req.configFile);
      let [total, done, message] = [1, 0, 'evaluating epoch 0'];
      const summary = await train(config, {
        token: new SharedCancelToken(req.cancel),
        onEvent(event) {
          if (event.type === 'start')
            [total, done, message] = [Math.max(1, event.totalSteps), event.firstStep, 'training'];
          if (event.type === 'step')
            [done, message] = [event.step, `epoch ${event.epoch}, loss ${event.loss.toFixed(4)}`];
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
    handle(req)
      .catch((err: unknown) => {
        if (err instanceof CancelledError) post({ id: req.id, type: 'cancelled' });
        else
          post({
            id: req.id,
            type: 'error',
            message: oneLine(err),
            needsPartner: err instanceof NeedsPartnerError,
            deviceLost: err instanceof DeviceLostError,
            input: err instanceof InputError ? { file: err.file, problem: err.problem } : undefined,
          });
      })
      // A failure to free is no job's failure, and must not stop the queue.
      .then(releasePooledBuffers)
      .catch(() => undefined),
  );
});
