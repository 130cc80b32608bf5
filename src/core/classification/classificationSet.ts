import type { Matrix } from '../readers/checkpoint';

/** A classification evaluation set as read and checked: what the zero-shot pass consumes. */
export interface ClassificationSet {
  /** The file the set came from, as the user named it. */
  file: string;
  /** (N, D) image embeddings, rows with NaN/Inf or zero norm already dropped with their labels. */
  image: Matrix;
  /** labels[i] in [0, classes) is the class of image row i. */
  labels: Int32Array;
  /** (C, P, D) class text embeddings, row-major; P = 1 for a (C, D) array. */
  classEmbeds: { classes: number; prompts: number; dim: number; data: Float32Array };
  classNames?: string[];
  warnings: string[];
}
