/**
 * Zero-shot suites measured through a run's heads every epoch (config `evalSuites`): images through
 * the image head, each class prompt through the text head, then the METRICS.md pass on the result.
 * Every set is read and checked once, before training, so a bad suite fails the run at its start.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { CancelToken } from '../util/cancel';
import { matrix } from '../readers/checkpoint';
import { InputError } from '../util/errors';
import { UnitRows } from '../train/features';
import { analyzeZeroShot } from './analyzeZeroShot';
import { readClassificationSet } from './readClassificationSet';
import { readSuiteSpec } from './suiteSpec';
import { suiteResult } from './suiteResult';
import type { SuiteResult, SuiteSetResult } from './types';

interface EpochSet {
  name: string;
  file: string;
  image: UnitRows;
  labels: Int32Array;
  /** (C * P, D) prompt rows. */
  prompts: UnitRows;
  classes: number;
  promptsPerClass: number;
}

export interface EpochSuite {
  name: string;
  sets: EpochSet[];
}

/** Reads every set of every suite; dimensions must fit the heads' inputs and a suite's sets share their classes. */
export async function loadEpochSuites(
  sources: string[],
  dims: { image: number; text: number },
  token?: CancelToken,
): Promise<EpochSuite[]> {
  const suites: EpochSuite[] = [];
  for (const source of sources) {
    const spec = await readSuiteSpec(source);
    const sets: EpochSet[] = [];
    for (const member of [spec.inDistribution, ...spec.shifted]) {
      const set = await readClassificationSet(member.file, { token });
      const { classes, prompts, dim, data } = set.classEmbeds;
      if (set.image.cols !== dims.image || dim !== dims.text) {
        throw new InputError(
          member.file,
          `images of ${set.image.cols} and class embeddings of ${dim} dimensions do not fit the heads' inputs (image ${dims.image}, text ${dims.text})`,
        );
      }
      if (sets.length && classes !== sets[0].classes) {
        throw new InputError(
          source,
          `set '${member.name}' has ${classes} classes but the in-distribution set '${sets[0].name}' has ${sets[0].classes}: a suite's sets share their classes`,
        );
      }
      sets.push({
        name: member.name,
        file: member.file,
        image: new UnitRows(set.image, member.file, 'image'),
        labels: set.labels,
        prompts: new UnitRows(matrix(classes * prompts, dim, data), member.file, 'class prompt'),
        classes,
        promptsPerClass: prompts,
      });
    }
    suites.push({ name: spec.name, sets });
  }
  return suites;
}

/** Each suite's figures with the heads as they stand. */
export async function measureEpochSuites(
  suites: EpochSuite[],
  heads: { image: tf.Tensor2D; text: tf.Tensor2D },
  token?: CancelToken,
): Promise<SuiteResult[]> {
  const out: SuiteResult[] = [];
  for (const suite of suites) {
    const results: SuiteSetResult[] = [];
    for (const set of suite.sets) {
      const image = await set.image.project(heads.image);
      const prompts = await set.prompts.project(heads.text);
      const { result } = await analyzeZeroShot(
        {
          file: set.file,
          image,
          labels: set.labels,
          classEmbeds: { classes: set.classes, prompts: set.promptsPerClass, dim: prompts.cols, data: prompts.data },
          warnings: [],
        },
        { token },
      );
      results.push({ name: set.name, files: [set.file], result });
    }
    out.push(suiteResult(suite.name, results));
  }
  return out;
}
