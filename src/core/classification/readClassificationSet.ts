/**
 * Reads a classification set: image embeddings (N, D), integer labels (N,), class text embeddings
 * (C, D) or prompt ensembles (C, P, D), optional class names. Every problem is one InputError that
 * names the file, since a wrong label silently moves accuracy rather than crashing.
 */
import { matrix } from '../readers/checkpoint';
import { InputError } from '../util/errors';
import { withArrays, type ArrayReadOptions } from '../readers';
import { isFloatType, isIntType, isStringType, shapeText } from '../readers/dtypes';
import { defaultImageKeys, nameList } from '../readers/selectArrays';
import type { ArraySource, NamedArray } from '../readers/types';
import type { ClassificationSet } from './classificationSet';
import { classEmbedKeys, classNameKeys, findByKeys, labelKeys } from './classificationKeys';

export interface ClassificationReadOptions extends ArrayReadOptions {
  imageKeys?: string[];
}

const byName = (arrays: ArraySource[], keys: string[]) => {
  const hit = findByKeys(
    arrays.map((a) => a.info),
    keys,
  );
  return hit && arrays.find((a) => a.info === hit);
};

function namesFromMetadata(file: string, metadata: Record<string, string> | undefined): string[] | undefined {
  const key = metadata && Object.keys(metadata).find((k) => classNameKeys.includes(k.toLowerCase()));
  if (!key) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(metadata![key]);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((c) => typeof c === 'string'))
    throw new InputError(file, `__metadata__ '${key}' is not a JSON array of strings`);
  return parsed;
}

function checkClassEmbeds(file: string, name: string, a: NamedArray, dim: number): ClassificationSet['classEmbeds'] {
  const what = `'${name}' ${shapeText(a.shape)}`;
  if (!isFloatType(a.dtype)) throw new InputError(file, `${what} is ${a.dtype}: class embeddings must be floats`);
  if (a.shape.length !== 2 && a.shape.length !== 3)
    throw new InputError(file, `${what} must be (C, D) or prompt ensembles (C, P, D)`);
  const classes = a.shape[0];
  const prompts = a.shape.length === 3 ? a.shape[1] : 1;
  const cols = a.shape[a.shape.length - 1];
  if (prompts === 0)
    throw new InputError(file, `${what} has a prompt axis of 0: each class needs at least one prompt embedding`);
  if (classes === 0) throw new InputError(file, `${what} holds no classes`);
  if (cols !== dim) throw new InputError(file, `${what} has dimension ${cols} but the image embeddings have ${dim}`);
  const data = a.data as Float32Array;
  for (let r = 0; r < classes * prompts; r++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[r * dim + d] * data[r * dim + d];
    const where = prompts > 1 ? `class ${Math.floor(r / prompts)}, prompt ${r % prompts}` : `class ${r}`;
    if (!Number.isFinite(s)) throw new InputError(file, `${what} holds NaN or Inf (${where})`);
    if (s === 0) throw new InputError(file, `${what} is all zeros at ${where}: it cannot be normalised`);
  }
  return { classes, prompts, dim, data };
}

function checkLabels(file: string, name: string, a: NamedArray, n: number, classes: number): Int32Array {
  const what = `'${name}' ${shapeText(a.shape)}`;
  if (!isIntType(a.dtype))
    throw new InputError(file, `${what} is ${a.dtype}: labels must be integers (any integer dtype)`);
  if (a.shape.length !== 1) throw new InputError(file, `${what} must be one label per image, shape (N,)`);
  if (a.shape[0] !== n) throw new InputError(file, `${what} has ${a.shape[0]} labels for ${n} images`);
  const labels = a.data as Int32Array;
  for (let i = 0; i < n; i++) {
    if (labels[i] < 0 || labels[i] >= classes)
      throw new InputError(
        file,
        `label ${labels[i]} at row ${i} is outside [0, ${classes}): the class embeddings hold ${classes} classes`,
      );
  }
  return labels;
}

/** Drops image rows that cannot be normalised, with their labels, as the retrieval readers drop bad pairs. */
function usableRows(
  image: NamedArray,
  labels: Int32Array,
): { image: ClassificationSet['image']; labels: Int32Array; dropped: number } {
  const [n, dim] = image.shape;
  const data = image.data as Float32Array;
  const keep: number[] = [];
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += data[r * dim + d] * data[r * dim + d];
    if (Number.isFinite(s) && s > 0) keep.push(r);
  }
  if (keep.length === n) return { image: matrix(n, dim, data), labels, dropped: 0 };
  const out = new Float32Array(keep.length * dim);
  keep.forEach((r, k) => out.set(data.subarray(r * dim, (r + 1) * dim), k * dim));
  return {
    image: matrix(keep.length, dim, out),
    labels: Int32Array.from(keep, (r) => labels[r]),
    dropped: n - keep.length,
  };
}

export async function readClassificationSet(
  file: string,
  opts: ClassificationReadOptions = {},
): Promise<ClassificationSet> {
  return withArrays(file, opts, opts, async (opened) => {
    const numeric = opened.arrays.filter((a) => !isStringType(a.info.dtype));
    const strings = opened.arrays.filter((a) => isStringType(a.info.dtype));
    const image = byName(numeric, [...(opts.imageKeys ?? []), ...defaultImageKeys]);
    const labels = byName(numeric, labelKeys);
    const classes = byName(numeric, classEmbedKeys);
    if (!image || !labels || !classes) {
      const held = opened.arrays.map((a) => a.info.name);
      const missing = [!image && 'image embeddings', !labels && 'labels', !classes && 'class embeddings']
        .filter(Boolean)
        .join(', ');
      throw new InputError(
        file,
        `is not a classification set: no ${missing} (it holds ${held.length ? nameList(held) : 'no arrays'}; looked for ${defaultImageKeys[0]}, ${labelKeys[0]}, ${classEmbedKeys[0]})`,
      );
    }
    const imageArray = await image.load();
    if (imageArray.shape.length !== 2 || !isFloatType(imageArray.dtype)) {
      throw new InputError(
        file,
        `'${image.info.name}' ${shapeText(imageArray.shape)} ${imageArray.dtype}: image embeddings must be a float (N, D) array`,
      );
    }
    const [n, dim] = imageArray.shape;
    if (n === 0) throw new InputError(file, `'${image.info.name}' holds no images`);
    const classEmbeds = checkClassEmbeds(file, classes.info.name, await classes.load(), dim);
    const checkedLabels = checkLabels(file, labels.info.name, await labels.load(), n, classEmbeds.classes);
    const nameArray = byName(strings, classNameKeys);
    const classNames = namesFromMetadata(file, opened.metadata) ?? (await nameArray?.loadStrings?.());
    if (classNames && classNames.length !== classEmbeds.classes) {
      throw new InputError(
        file,
        `${classNames.length} class names for ${classEmbeds.classes} classes in '${classes.info.name}'`,
      );
    }
    const rows = usableRows(imageArray, checkedLabels);
    if (rows.image.rows === 0)
      throw new InputError(file, `every image row of '${image.info.name}' holds NaN/Inf or zeros`);
    const warnings = [...(opened.notes ?? [])];
    if (rows.dropped) warnings.push(`skipped ${rows.dropped} image rows with NaN/Inf or all zeros, and their labels`);
    return { file, image: rows.image, labels: rows.labels, classEmbeds, classNames, warnings };
  });
}
