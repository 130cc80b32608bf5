/**
 * Training pairs from classes, as FLYP fine-tunes (METRICS.md "Training pairs from classes"): pair i
 * is (x_i, w_{y_i}), the image and its class's prompt-averaged text embedding, so the contrastive
 * losses, m²-Mix included, apply unchanged. Images of one class share their text row.
 */
import { matrix, type Checkpoint } from '../readers/checkpoint';
import { readCheckpoint, describeFile, type ReadOptions } from '../readers';
import { defaultTextKeys } from '../readers/selectArrays';
import type { ClassificationSet } from './classificationSet';
import { holdsClasses, holdsPairs } from './classificationKeys';
import { classVectors } from './classVectors';
import { readClassificationSet } from './readClassificationSet';

export function classPairsCheckpoint(set: ClassificationSet): Checkpoint {
  const { rows, cols } = set.image;
  const w = classVectors(set.classEmbeds);
  const text = matrix(rows, cols);
  for (let i = 0; i < rows; i++) text.data.set(w.subarray(set.labels[i] * cols, (set.labels[i] + 1) * cols), i * cols);
  return {
    files: [set.file],
    image: set.image,
    text,
    captions: set.classNames && Array.from(set.labels, (c) => set.classNames![c]),
    warnings: set.warnings,
  };
}

/** A training set: pairs as the readers read them, or a classification-only file as its class pairs. */
export async function readTrainingPairs(files: string[], opts: ReadOptions = {}): Promise<Checkpoint> {
  if (files.length === 1) {
    const arrays = (await describeFile(files[0], opts)).arrays;
    if (holdsClasses(arrays) && !holdsPairs(arrays, [...(opts.textKeys ?? []), ...defaultTextKeys])) {
      return classPairsCheckpoint(await readClassificationSet(files[0], opts));
    }
  }
  return readCheckpoint(files, opts);
}
