/**
 * The run folder <out>/<name>/: run.jsonl, epoch-<k>.safetensors, best.safetensors. Checkpoints hold
 * the projected eval embeddings (so any Embedding Lens view opens them), the head weights and the
 * AdamW moments (so a resumed run continues exactly where the checkpoint left it).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../util/errors';
import { describeFile, readArrays } from '../readers';
import { isAbandonedTemp, writeSafetensors, type TensorInput } from '../writers';
import type { LoggedEvent } from './events';
import type { WeightArray } from './heads';

export const logName = 'run.jsonl';
export const bestName = 'best.safetensors';
export const checkpointName = (epoch: number): string => `epoch-${epoch}.safetensors`;

/**
 * Refuses a folder that holds a run's files unless the run is resumed: checked before the data is
 * read, so a taken name fails at once. Checkpoints without a log count too (copied in, or a log
 * deleted): a new run would overwrite them.
 */
export async function refuseTakenRunFolder(runDir: string, resume: boolean): Promise<void> {
  if (resume) return;
  const names = await fsp.readdir(runDir).catch(() => [] as string[]);
  if (names.includes(logName))
    throw new InputError(runDir, 'already holds a run; resume it (--resume, or "resume": true) or choose another name');
  const checkpoints = names.filter((n) => n === bestName || /^epoch-\d+\.safetensors$/.test(n)).sort();
  if (checkpoints.length > 0)
    throw new InputError(
      runDir,
      `already holds ${checkpoints.join(', ')}, which a new run would overwrite; choose another name`,
    );
}

/**
 * Creates the run folder once the inputs have been checked (a refused run leaves no folder behind)
 * and fails now, not after the first epoch, when it cannot be written. Clears the temp files of a
 * killed run of the same folder.
 */
export async function makeRunFolder(runDir: string): Promise<void> {
  const probe = path.join(runDir, `.write-probe-${process.pid}`);
  try {
    await fsp.mkdir(runDir, { recursive: true });
    await fsp.writeFile(probe, '');
    await fsp.unlink(probe);
  } catch (err) {
    throw new InputError(
      runDir,
      `the run folder is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  for (const name of await fsp.readdir(runDir))
    if (isAbandonedTemp(name)) await fsp.rm(path.join(runDir, name), { force: true });
}

export async function appendLog(runDir: string, events: LoggedEvent[]): Promise<void> {
  if (events.length > 0)
    await fsp.appendFile(path.join(runDir, logName), events.map((e) => JSON.stringify(e) + '\n').join(''));
}

export async function readLog(runDir: string): Promise<LoggedEvent[]> {
  const text = await fsp.readFile(path.join(runDir, logName), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as LoggedEvent;
      } catch {
        throw new InputError(path.join(runDir, logName), `line ${i + 1} is not JSON`);
      }
    });
}

/** Rewrites the log without what came after `epoch` (a cancelled or diverged epoch's steps). */
export async function trimLog(runDir: string, epoch: number): Promise<LoggedEvent[]> {
  const kept = (await readLog(runDir)).filter((e) => e.epoch <= epoch);
  const file = path.join(runDir, logName);
  await fsp.writeFile(file + '.tmp', kept.map((e) => JSON.stringify(e) + '\n').join(''));
  await fsp.rename(file + '.tmp', file);
  return kept;
}

export interface CheckpointState {
  epoch: number;
  /** The run configuration it was written under (TrainConfig as JSON), where its metadata holds one. */
  config?: string;
  /** Optimizer steps done. */
  step: number;
  image: WeightArray;
  text: WeightArray;
  adam: { m: WeightArray[]; v: WeightArray[] };
}

export interface EvalEmbeddings {
  image: { rows: number; cols: number; data: Float32Array };
  text: { rows: number; cols: number; data: Float32Array };
  textToImage?: Int32Array;
}

const f32 = (w: WeightArray): TensorInput => ({ shape: w.shape, dtype: 'F32', data: w.data });

export async function writeCheckpoint(
  file: string,
  state: CheckpointState,
  evalSet: EvalEmbeddings,
  metadata: Record<string, string>,
): Promise<void> {
  const tensors: Record<string, TensorInput> = {
    image_embeds: { shape: [evalSet.image.rows, evalSet.image.cols], dtype: 'F32', data: evalSet.image.data },
    text_embeds: { shape: [evalSet.text.rows, evalSet.text.cols], dtype: 'F32', data: evalSet.text.data },
    image_head: f32(state.image),
    text_head: f32(state.text),
    'adamw.m.image_head': f32(state.adam.m[0]),
    'adamw.m.text_head': f32(state.adam.m[1]),
    'adamw.v.image_head': f32(state.adam.v[0]),
    'adamw.v.text_head': f32(state.adam.v[1]),
  };
  if (evalSet.textToImage)
    tensors.text_to_image = { shape: [evalSet.textToImage.length], dtype: 'I32', data: evalSet.textToImage };
  await writeSafetensors(file, tensors, { ...metadata, epoch: String(state.epoch), step: String(state.step) });
}

/** The highest k of the folder's epoch-<k>.safetensors, or undefined. */
export async function lastCheckpointEpoch(runDir: string): Promise<number | undefined> {
  const names = await fsp.readdir(runDir).catch(() => [] as string[]);
  const epochs = names
    .map((n) => /^epoch-(\d+)\.safetensors$/.exec(n))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]));
  return epochs.length > 0 ? Math.max(...epochs) : undefined;
}

export async function readCheckpointState(file: string): Promise<CheckpointState> {
  const [arrays, contents] = await Promise.all([readArrays(file), describeFile(file)]);
  const weight = (name: string): WeightArray => {
    const a = arrays.get(name);
    if (!a || a.shape.length !== 2 || !(a.data instanceof Float32Array))
      throw new InputError(file, `has no 2-D float array '${name}'; not an Embedding Lens training checkpoint`);
    return { shape: [a.shape[0], a.shape[1]], data: a.data };
  };
  const epoch = Number(contents.metadata?.epoch);
  const step = Number(contents.metadata?.step);
  if (!Number.isInteger(epoch) || !Number.isInteger(step))
    throw new InputError(file, 'its __metadata__ lacks the epoch and step of a training checkpoint');
  return {
    epoch,
    config: contents.metadata?.config,
    step,
    image: weight('image_head'),
    text: weight('text_head'),
    adam: {
      m: [weight('adamw.m.image_head'), weight('adamw.m.text_head')],
      v: [weight('adamw.v.image_head'), weight('adamw.v.text_head')],
    },
  };
}
