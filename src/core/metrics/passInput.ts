import type { Checkpoint } from '../readers/checkpoint';
import { describeFiles } from './analyzeOptions';
import { normalizeRows } from './normalize';
import { pairingOf } from './textToImagePairing';
import type { AnalyzeOptions, MetricPassInput } from './types';

/** A checkpoint made ready for either pass: pairing checked, rows made unit-length, every query's confidence asked for. */
export function metricPassInput(ckpt: Checkpoint, options: AnalyzeOptions): MetricPassInput {
  const file = describeFiles(ckpt);
  const pairing = pairingOf(ckpt, file);
  const x = normalizeRows(ckpt.image, file, 'image');
  const y = normalizeRows(ckpt.text, file, 'text');
  return {
    x: x.data,
    y: y.data,
    ni: ckpt.image.rows,
    nt: ckpt.text.rows,
    dim: ckpt.image.cols,
    pairing,
    norms: { image: x.norms, text: y.norms },
    options,
  };
}
