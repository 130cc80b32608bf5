/**
 * An m2-Mix fine-tuning run: heads on frozen features, trained with the configured loss, the eval
 * split measured before training and after every epoch. Resuming restores the head weights, the
 * AdamW moments and the step count from the last epoch checkpoint; the batch order and lambdas are
 * seeded per epoch, so a resumed run repeats the uninterrupted one (given the same config: a changed
 * epoch count reshapes the learning-rate schedule from the resumed step on).
 *
 * The run's state is one TrainingRun (trainingRun.ts): trainingRunSetup.ts makes it, epochSteps.ts
 * runs an epoch's steps, epochEvaluation.ts measures and checkpoints the heads.
 */
import { afterDeviceLoss } from '../backend/webgpuRung';
import { CancelledError, InputError } from '../util/errors';
import type { TrainConfig } from './config';
import { evaluateUnlessCancelled, restoreBestFromLog } from './epochEvaluation';
import { runEpochSteps } from './epochSteps';
import type { RunSummary } from './events';
import { checkpointName, trimLog } from './runFolder';
import { disposeTrainingRun, runSummary, type TrainHooks } from './trainingRun';
import { setUpTrainingRun } from './trainingRunSetup';

export async function train(config: TrainConfig, hooks: TrainHooks = {}): Promise<RunSummary> {
  const run = await setUpTrainingRun(config, hooks);
  try {
    if (run.resumedEpoch !== undefined) {
      restoreBestFromLog(run, await trimLog(run.runDir, run.resumedEpoch));
    } else {
      // A resume that found no checkpoint starts over: drop what a killed first epoch logged.
      await trimLog(run.runDir, -1);
      if (!(await evaluateUnlessCancelled(run, 0))) {
        return runSummary(
          run,
          'cancelled',
          'cancelled while evaluating the heads before training; no checkpoint was written',
          run.adam.step,
          false,
        );
      }
    }
    hooks.onEvent?.({
      type: 'start',
      runDir: run.runDir,
      totalSteps: run.totalSteps,
      stepsPerEpoch: run.stepsPerEpoch,
      firstStep: run.adam.step,
      notes: run.notes,
    });
    while (run.epoch < config.epochs) {
      const stopped = await runEpochSteps(run);
      if (stopped) return stopped;
      if (!(await evaluateUnlessCancelled(run, run.epoch + 1))) {
        return runSummary(
          run,
          'cancelled',
          `cancelled while evaluating epoch ${run.epoch + 1}, which has no checkpoint; the last checkpoint is ${checkpointName(run.epoch)}`,
        );
      }
      run.epoch++;
    }
    return runSummary(run, 'completed');
  } catch (err) {
    throw (
      (err instanceof InputError || err instanceof CancelledError ? undefined : await afterDeviceLoss('training')) ??
      err
    );
  } finally {
    disposeTrainingRun(run);
  }
}
