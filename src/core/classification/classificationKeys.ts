/** The array names that make a file a classification set (matched case-insensitively, like the retrieval keys). */
import type { ArrayInfo } from '../readers/types';
import { isStringType } from '../readers/dtypes';

export const labelKeys = ['labels', 'label', 'targets'];
export const classEmbedKeys = ['class_embeds', 'class_embeddings', 'class_features'];
/** A string array, or in safetensors a `__metadata__` entry holding a JSON list. */
export const classNameKeys = ['class_names', 'classnames'];

export function findByKeys<T extends { name: string }>(items: T[], keys: string[]): T | undefined {
  for (const key of keys) {
    const hit = items.find((a) => a.name.toLowerCase() === key.toLowerCase());
    if (hit) return hit;
  }
  return undefined;
}

/** Whether a file's headers name both labels and class embeddings: then it is (also) a classification set. */
export function holdsClasses(arrays: ArrayInfo[]): boolean {
  const numeric = arrays.filter((a) => !isStringType(a.dtype));
  return findByKeys(numeric, labelKeys) !== undefined && findByKeys(numeric, classEmbedKeys) !== undefined;
}

/** Whether a classification file also holds a text array, i.e. retrieval pairs to report beside the classes. */
export function holdsPairs(arrays: ArrayInfo[], textKeys: string[]): boolean {
  return (
    findByKeys(
      arrays.filter((a) => !isStringType(a.dtype)),
      textKeys,
    ) !== undefined
  );
}
