/** Which arrays of a file are the image embeddings, the text embeddings, the text-to-image index and the captions. */
import { InputError } from '../util/errors';
import { isStringType, shapeText } from './dtypes';
import { modalityOf } from './pairing';
import type { ArrayInfo, ArraySource, OpenedArrays } from './types';

/** Names that tools commonly give them (open_clip, HF transformers, numpy scripts), matched case-insensitively. */
export const defaultImageKeys = ['image_embeds', 'image_features', 'image_embeddings', 'img_embeds', 'image', 'img'];
export const defaultTextKeys = ['text_embeds', 'text_features', 'text_embeddings', 'txt_embeds', 'text', 'txt'];
/** text_to_image[k] = the image row of caption k (COCO/Flickr: five captions per image). */
export const defaultIndexKeys = ['text_to_image', 'txt2img', 'img_ids', 'image_index'];
/** A string array (numpy U or S) under one of these names labels the texts, one string per text. */
export const captionKeys = ['captions', 'caption', 'texts'];

export interface KeyOptions {
  imageKeys?: string[];
  textKeys?: string[];
  indexKeys?: string[];
}

export type Selection = (
  | { kind: 'pair'; image: ArraySource; text: ArraySource; index?: ArraySource }
  /** One array: (2, N, D) holding both, or (N, D) holding one modality whose partner is elsewhere. */
  | { kind: 'single'; array: ArraySource; index?: ArraySource }
) & { captions?: ArraySource };

/** The first names and how many more: an archive of 100,000 members must not make a 300 KB message. */
export function nameList(names: string[], separator = ', '): string {
  const shown = 10;
  if (names.length <= shown) return names.join(separator);
  return `${names.slice(0, shown).join(separator)}${separator}… and ${(names.length - shown).toLocaleString('en-US')} more`;
}

const named = (name: string, key: string): boolean => name.toLowerCase() === key.toLowerCase();

/**
 * Whether `keys` (alternatives, as the image or text key's comma list) name no numeric array of
 * `arrays`. The CLI's keys are meant for the files at hand, where a key naming nothing is a typo
 * that would leave the defaults read silently; the extension's are extra names looked for across
 * a workspace, and need not name anything.
 */
export function namesNoArray(arrays: ArrayInfo[], keys: string[]): boolean {
  return keys.length > 0 && !keys.some((key) => arrays.some((a) => !isStringType(a.dtype) && named(a.name, key)));
}

function byKeys(arrays: ArraySource[], keys: string[]): ArraySource | undefined {
  for (const key of keys) {
    const hit = arrays.find((a) => named(a.info.name, key));
    if (hit) return hit;
  }
  return undefined;
}

export function selectArrays(file: string, opened: OpenedArrays, opts: KeyOptions): Selection {
  // Strings are captions or nothing: never an embedding or an index.
  const arrays = opened.arrays.filter((a) => !isStringType(a.info.dtype));
  const strings = opened.arrays.filter((a) => isStringType(a.info.dtype));
  if (arrays.length === 0 && strings.length > 0) {
    throw new InputError(
      file,
      `holds only strings (${nameList(
        strings.map((a) => `'${a.info.name}', ${a.info.dtype} ${shapeText(a.info.shape)}`),
        '; ',
      )}), no embeddings`,
    );
  }
  // A key the user gave that names a string column would otherwise read as 'no image array': say what it names.
  for (const key of [...(opts.imageKeys ?? []), ...(opts.textKeys ?? [])]) {
    const named = byKeys(strings, [key]);
    if (named && !byKeys(arrays, [key]))
      throw new InputError(
        file,
        `'${named.info.name}' holds strings (${named.info.dtype} ${shapeText(named.info.shape)}), not numbers: it cannot be embeddings`,
      );
  }
  const captions = byKeys(strings, captionKeys);
  // A .pt is often a model's state dict: its shapes tell the user what it is at a glance.
  const selection = selectNumeric(file, arrays, opts, opened.format === 'pt');
  return captions ? { ...selection, captions } : selection;
}

function selectNumeric(file: string, arrays: ArraySource[], opts: KeyOptions, listShapes: boolean): Selection {
  const imageKeys = [...(opts.imageKeys ?? []), ...defaultImageKeys];
  const textKeys = [...(opts.textKeys ?? []), ...defaultTextKeys];
  const index = byKeys(arrays, [...(opts.indexKeys ?? []), ...defaultIndexKeys]);
  const image = byKeys(arrays, imageKeys);
  const text = byKeys(arrays, textKeys);
  if (image && image === text) {
    throw new InputError(
      file,
      `the image and text keys both name '${image.info.name}': the two modalities must be different arrays`,
    );
  }
  if (image && text) return { kind: 'pair', image, text, index };
  if (image || text) {
    const [found, missing, keys] = image ? [image, 'text', textKeys] : [text!, 'image', imageKeys];
    throw new InputError(
      file,
      `has '${found.info.name}' but no ${missing} array (looked for ${keys.join(', ')}; set the ${missing} keys to name yours)`,
    );
  }
  const rest = arrays.filter((a) => a !== index);
  if (rest.length === 1) return { kind: 'single', array: rest[0], index };
  if (rest.length === 2) {
    const [a, b] = rest.map((r) => modalityOf(r.info.name));
    if (a && b && a !== b)
      return a === 'image'
        ? { kind: 'pair', image: rest[0], text: rest[1], index }
        : { kind: 'pair', image: rest[1], text: rest[0], index };
  }
  const listed = arrays.map((a) => (listShapes ? `${a.info.name} ${shapeText(a.info.shape)}` : a.info.name));
  const held = arrays.length ? `it holds ${nameList(listed)}` : 'it holds no arrays';
  throw new InputError(
    file,
    `no image/text embeddings found: ${held} (looked for ${imageKeys.join('/')} and ${textKeys.join('/')}; set the image/text keys to name yours)`,
  );
}
