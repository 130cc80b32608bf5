import type { AnalysisResult, NormStats } from '../../../src/core/metrics/types';

/** float32 unit vectors come back within ~1e-6 of 1; anything past this was not normalised. */
const unitTolerance = 1e-3;

function isUnit(s: NormStats): boolean {
  return Math.abs(s.min - 1) <= unitTolerance && Math.abs(s.max - 1) <= unitTolerance;
}

function range(s: NormStats): string {
  const f = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));
  return s.min === s.max ? f(s.min) : `${f(s.min)}–${f(s.max)}, mean ${f(s.mean)}`;
}

/** The snapshot's own warnings, plus one when the inputs had to be normalised. */
export function allWarnings(snapshotWarnings: string[], m: AnalysisResult): string[] {
  const { image, text } = m.input_norms;
  if (isUnit(image) && isUnit(text)) return snapshotWarnings;
  return [
    ...snapshotWarnings,
    `The inputs were not unit vectors (image norms ${range(image)}; text norms ${range(text)}); ` +
      'they were L2-normalised before measuring. Pre-projection or unnormalised features can give misleading geometry.',
  ];
}
