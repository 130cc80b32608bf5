/** Class names and per-class figures of a zero-shot analysis, as the section's tables and chart read them. */
import type { ZeroShotAnalysis } from '../../../src/core/classification/types';

export interface ClassRow {
  index: number;
  name: string;
  images: number;
  /** Top-1 accuracy in percent; NaN for a class without images (JSON carries it as null). */
  accuracy: number;
}

/** Its name from the file's class_names, else its index: a file may carry no names. */
export function classLabel(z: ZeroShotAnalysis, c: number): string {
  return z.detail.classNames?.[c] ?? `class ${c}`;
}

export function classRows(z: ZeroShotAnalysis): ClassRow[] {
  return z.result.per_class.map((accuracy, index) => ({
    index,
    name: classLabel(z, index),
    images: z.detail.perClassCount[index] ?? 0,
    accuracy: typeof accuracy === 'number' ? accuracy : NaN,
  }));
}

/** How many bars the worst-classes chart draws: enough to see a pattern, few enough to read each label. */
export const worstClassesShown = 20;

/** The classes with images, lowest accuracy first (ties by index, so the order is stable). */
export function worstClasses(z: ZeroShotAnalysis, k = worstClassesShown): ClassRow[] {
  return classRows(z)
    .filter((r) => r.images > 0 && Number.isFinite(r.accuracy))
    .sort((a, b) => a.accuracy - b.accuracy || a.index - b.index)
    .slice(0, k);
}
