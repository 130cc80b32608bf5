import type { Checkpoint } from '../readers/checkpoint';
import { InputError } from '../util/errors';

/**
 * Which texts belong to which image. One caption per image is the identity pairing, so the
 * single- and multi-caption cases run the same code.
 */
export interface Pairing {
  /** owner[k]: the image of text k. */
  owner: Int32Array;
  /** Captions of image i are captions[captionStart[i] .. captionStart[i + 1]). */
  captionStart: Int32Array;
  captions: Int32Array;
}

export function pairingOf(ckpt: Checkpoint, file: string): Pairing {
  const ni = ckpt.image.rows;
  const nt = ckpt.text.rows;
  if (ckpt.image.cols !== ckpt.text.cols)
    throw new InputError(file, `image dimension ${ckpt.image.cols} differs from text dimension ${ckpt.text.cols}`);
  // Uniformity and hardest negatives need at least one other point of each modality.
  if (ni < 2 || nt < 2) throw new InputError(file, `needs at least 2 images and 2 texts, got ${ni} and ${nt}`);
  let owner = ckpt.textToImage;
  if (!owner) {
    if (ni !== nt) throw new InputError(file, `${ni} images but ${nt} texts and no text-to-image index`);
    owner = Int32Array.from({ length: nt }, (_, k) => k);
  }
  if (owner.length !== nt)
    throw new InputError(file, `text-to-image index has ${owner.length} entries for ${nt} texts`);
  const captionStart = new Int32Array(ni + 1);
  for (let k = 0; k < nt; k++) {
    const i = owner[k];
    if (!(i >= 0 && i < ni)) throw new InputError(file, `text ${k} points to image ${i}, outside 0..${ni - 1}`);
    captionStart[i + 1]++;
  }
  for (let i = 0; i < ni; i++) {
    if (captionStart[i + 1] === 0) throw new InputError(file, `image ${i} has no caption in the text-to-image index`);
    captionStart[i + 1] += captionStart[i];
  }
  const fill = captionStart.slice(0, ni);
  const captions = new Int32Array(nt);
  for (let k = 0; k < nt; k++) captions[fill[owner[k]]++] = k;
  return { owner, captionStart, captions };
}
