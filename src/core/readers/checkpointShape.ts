/** "500 × 512" for a checkpoint file, from its headers alone: what the checkpoints tree shows. */
import { classEmbedKeys, findByKeys, holdsClasses, labelKeys } from '../classification/classificationKeys';
import { describeFile, type FileContents } from './index';
import { modalityOf } from './pairing';
import { selectArrays, type KeyOptions, type Selection } from './selectArrays';
import type { ArrayInfo, ArraySource } from './types';
import { InputError } from '../util/errors';

const count = (n: number) => n.toLocaleString('en-US');

function shapeOf(a: ArrayInfo): string {
  return a.shape.map(count).join(' × ');
}

/** The arrays reading would pick (selectArrays), from the file's headers alone. */
async function selectFromHeaders(file: string, keys: KeyOptions, contents?: FileContents): Promise<Selection> {
  contents ??= await describeFile(file);
  const headersOnly = (info: ArrayInfo): ArraySource => ({
    info,
    load: () => Promise.reject(new Error('describing reads headers only')),
  });
  return selectArrays(file, { format: contents.format, arrays: contents.arrays.map(headersOnly) }, keys);
}

/**
 * The pairs a training epoch draws from `file` (one per image: a multi-caption set's image count),
 * from its headers; undefined for a one-modality file, whose partner is not known here.
 */
export async function trainingPairs(file: string, keys: KeyOptions = {}): Promise<number | undefined> {
  const selection = await selectFromHeaders(file, keys);
  if (selection.kind === 'pair') return selection.image.info.shape[0];
  const shape = selection.array.info.shape;
  return shape.length === 3 && shape[0] === 2 ? shape[1] : undefined;
}

/**
 * Picks the arrays the way reading would (selectArrays, on headers only) and says their size:
 * `N × D` for pairs, `images, captions × D` for multi-caption sets, the modality for one-modality files.
 */
export async function describeCheckpointShape(file: string, keys: KeyOptions = {}): Promise<string> {
  const contents = await describeFile(file);
  if (holdsClasses(contents.arrays)) {
    // A classification set: its images and classes, and its pairs too when it holds them.
    const labels = findByKeys(contents.arrays, labelKeys)!.shape[0];
    const classes = findByKeys(contents.arrays, classEmbedKeys)!.shape;
    const sets = `${count(labels)} images, ${count(classes[0])} classes × ${count(classes.at(-1)!)}`;
    const pairs = await describePairs(file, keys, contents).catch(() => undefined);
    return pairs ? `${pairs} · ${sets}` : sets;
  }
  return describePairs(file, keys, contents);
}

async function describePairs(file: string, keys: KeyOptions, contents: FileContents): Promise<string> {
  const selection = await selectFromHeaders(file, keys, contents);
  if (selection.kind === 'pair') {
    const [image, text] = [selection.image.info.shape, selection.text.info.shape];
    if (image.length !== 2 || text.length !== 2)
      throw new InputError(
        file,
        `embeddings must be 2-D, got ${shapeOf(selection.image.info)} and ${shapeOf(selection.text.info)}`,
      );
    return image[0] === text[0]
      ? `${count(image[0])} × ${count(image[1])}`
      : `${count(image[0])} images, ${count(text[0])} captions × ${count(image[1])}`;
  }
  const shape = selection.array.info.shape;
  if (shape.length === 3 && shape[0] === 2) return `${count(shape[1])} × ${count(shape[2])}`;
  if (shape.length === 2) return `${count(shape[0])} × ${count(shape[1])} (${modalityOf(file) ?? 'one modality'})`;
  throw new InputError(file, `expected (2, N, D) or (N, D) embeddings, got ${shapeOf(selection.array.info)}`);
}
