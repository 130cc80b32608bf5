/**
 * One epoch's optimizer steps, pipelined: step s + 1 is queued on the device before step s's loss
 * is read back (see queueStep), so at most one step is in flight while the next one is encoded.
 */
import { throwIfCancelled } from '../util/cancel';
import { CancelledError } from '../util/errors';
import { epochRng } from './epochPairs';
import type { RunSummary, StepEvent } from './events';
import { appendLog, checkpointName } from './runFolder';
import { cosineWithWarmup } from './schedule';
import { drawLambdas, queueStep, type StepResult } from './step';
import { mixTerms, type MixTerm } from './termPlan';
import { runSummary, type TrainingRun } from './trainingRun';

interface QueuedStep {
  step: number;
  lr: number;
  result: Promise<StepResult>;
}

/** The epoch's steps logged so far (run.jsonl gets them at the epoch's end, or when the run stops) and the one in flight. */
interface EpochStepLog {
  logged: StepEvent[];
  inFlight?: QueuedStep;
}

/** Logs the step in flight; a diverged run's summary when its loss was not finite. */
async function settleStepInFlight(run: TrainingRun, log: EpochStepLog): Promise<RunSummary | undefined> {
  if (!log.inFlight) return undefined;
  const { step, lr, result } = log.inFlight;
  log.inFlight = undefined;
  const r = await result.catch((err: Error) => {
    throw Object.assign(new Error(`step ${step}: ${err.message}`), { cause: err });
  });
  const ev: StepEvent = {
    type: 'step',
    step,
    epoch: run.epoch + 1,
    lr,
    loss: r.loss,
    components: r.components,
    lambda: r.lambda,
  };
  log.logged.push(ev);
  run.hooks.onEvent?.(ev);
  if (r.updated) return undefined;
  await appendLog(run.runDir, log.logged);
  return runSummary(
    run,
    'diverged',
    `step ${step}: the loss is ${r.loss}; stopped, the last good checkpoint is ${checkpointName(run.epoch)}`,
    step - 1,
  );
}

/** The run ended before the step after adam.step, the one in flight logged first. */
async function endCancelled(run: TrainingRun, log: EpochStepLog): Promise<RunSummary> {
  const diverged = await settleStepInFlight(run, log);
  if (diverged) return diverged;
  await appendLog(run.runDir, log.logged);
  return runSummary(
    run,
    'cancelled',
    `cancelled at step ${run.adam.step + 1}; the last checkpoint is ${checkpointName(run.epoch)}`,
  );
}

/**
 * Runs the steps of epoch run.epoch + 1 and logs them; the run's summary when it stopped (diverged
 * or cancelled), undefined when every step ran.
 */
export async function runEpochSteps(run: TrainingRun): Promise<RunSummary | undefined> {
  const { config, adam, heads, hooks } = run;
  const batch = config.batchSize;
  const pairs = run.pairSampler.epoch(epochRng(config.seed, run.epoch, 0));
  const lambdaRng = epochRng(config.seed, run.epoch, 1);
  // The reference scripts' optional 1/(epoch+1), epoch counted from 0.
  const scale = config.scaleMixupByEpoch ? 1 / (run.epoch + 1) : 1;
  const weights = Object.fromEntries(mixTerms.map((t) => [t, run.mixTermWeights[t] * scale])) as Record<
    MixTerm,
    number
  >;
  // Between a long step's products too (wasm, cpu): see TermsOptions.check.
  const check = () => throwIfCancelled(hooks.token);
  const log: EpochStepLog = { logged: [] };
  for (let s = 0; s < run.stepsPerEpoch; s++) {
    if (hooks.token?.isCancellationRequested) return endCancelled(run, log);
    const lr = cosineWithWarmup(config.lr, adam.step, run.totalSteps, run.warmupSteps);
    const lambda = drawLambdas(lambdaRng, config.beta, weights);
    run.lastLambda = lambda;
    const x = run.trainImages.batch(pairs.image.subarray(s * batch, (s + 1) * batch));
    const y = run.trainTexts.batch(pairs.text.subarray(s * batch, (s + 1) * batch));
    const step = adam.step + 1;
    let result: Promise<StepResult>;
    try {
      result = queueStep(heads, adam, x, y, lambda, { ...run.stepSettings, weights, lr, check });
    } catch (err) {
      // Stopped inside the step, before its update: the run ends as if cancelled before it.
      if (err instanceof CancelledError) return endCancelled(run, log);
      throw err;
    } finally {
      x.dispose();
      y.dispose();
    }
    const queued = { step, lr, result };
    // Handled here too, so a failure of this read while the previous one is awaited is not an unhandled rejection.
    queued.result.catch(() => undefined);
    const diverged = await settleStepInFlight(run, log);
    log.inFlight = queued;
    if (diverged) {
      // The step queued behind the bad one was gated off on the device; only its read-back is left.
      await queued.result.catch(() => undefined);
      return diverged;
    }
    // Yield to the event loop so a cancel request (a message, a signal) can arrive between steps.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const diverged = await settleStepInFlight(run, log);
  if (diverged) return diverged;
  await appendLog(run.runDir, log.logged);
  return undefined;
}
