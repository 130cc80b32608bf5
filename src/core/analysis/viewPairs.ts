/**
 * The pairs the analysis views draw (the scatter, the sphere, DOSNES): every pair up to
 * maxViewPairs, beyond that a seeded uniform sample. The torch engine draws the same sample
 * (python/embedding_lens/views.py) and sends its rows, so the views of a checkpoint analysed there
 * need no second read of the file.
 */
import type { Checkpoint, Matrix } from '../readers/checkpoint';
import { sampleIndices } from '../metrics/sampled';
import { mulberry32 } from '../util/random';

/**
 * Pairs drawn in the 2D scatter; beyond this a seeded uniform sample. The chart stays interactive
 * at this size (ECharts' large mode), and projecting 200,000 points onto fitted axes is cheap.
 */
export const maxViewPairs = 100_000;
/** views.py's VIEW_PAIRS_SEED. */
export const viewPairsSeed = 12345;

export interface ViewPairs {
  /** Pairs in the checkpoint. */
  total: number;
  /** The text rows of the drawn pairs, increasing. */
  chosen: Int32Array;
  dim: number;
  /** The raw row (as read, not normalised) of the image of pair `chosen[i]`. */
  imageRow(i: number): Float32Array;
  /** The raw row of text `chosen[i]`. */
  textRow(i: number): Float32Array;
}

export function chooseViewPairs(total: number): Int32Array {
  return sampleIndices(total, Math.min(total, maxViewPairs), mulberry32(viewPairsSeed));
}

/** The drawn pairs of a checkpoint read whole: views of its rows, not copies. */
export function viewPairsOfCheckpoint(checkpoint: Checkpoint): ViewPairs {
  const { image, text, textToImage } = checkpoint;
  const chosen = chooseViewPairs(text.rows);
  const row = (m: Matrix, r: number) => m.data.subarray(r * m.cols, (r + 1) * m.cols);
  return {
    total: text.rows,
    chosen,
    dim: image.cols,
    imageRow: (i) => row(image, textToImage ? textToImage[chosen[i]] : chosen[i]),
    textRow: (i) => row(text, chosen[i]),
  };
}

/** The drawn pairs from their rows alone: `image` and `text` hold row i of pair `chosen[i]`. */
export function viewPairsOfRows(total: number, chosen: Int32Array, image: Matrix, text: Matrix): ViewPairs {
  const row = (m: Matrix, r: number) => m.data.subarray(r * m.cols, (r + 1) * m.cols);
  return { total, chosen, dim: image.cols, imageRow: (i) => row(image, i), textRow: (i) => row(text, i) };
}
