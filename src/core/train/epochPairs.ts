/**
 * Which training pairs an epoch visits, in which order: seeded per epoch, so a resumed run draws
 * the same batches and lambdas as the uninterrupted one.
 */
import type { Checkpoint } from '../readers/checkpoint';
import { mulberry32, type Rng } from '../util/random';

/**
 * Per-epoch streams, so any epoch's batches and lambdas can be replayed without the ones before it.
 * Stream 0 orders the epoch's pairs, stream 1 draws its lambdas.
 */
export const epochRng = (seed: number, epoch: number, stream: number): Rng =>
  mulberry32((seed ^ Math.imul(epoch * 2 + stream + 1, 0x9e3779b1)) >>> 0);

/** Training pairs: one caption per image and epoch, drawn at random when images have several. */
export class PairSampler {
  readonly images: number[] = [];
  private readonly captions: number[][] = [];
  constructor(ckpt: Checkpoint) {
    const byImage = Array.from({ length: ckpt.image.rows }, (_, i) => (ckpt.textToImage ? [] : [i]));
    ckpt.textToImage?.forEach((img, k) => byImage[img].push(k));
    byImage.forEach((c, i) => {
      if (c.length === 0) return;
      this.images.push(i);
      this.captions.push(c);
    });
  }
  get size(): number {
    return this.images.length;
  }
  /** A seeded shuffle of (image, text) pairs for one epoch. */
  epoch(rng: Rng): { image: Int32Array; text: Int32Array } {
    const order = Int32Array.from({ length: this.size }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const text = order.map((p) => this.captions[p][Math.floor(rng() * this.captions[p].length)]);
    return { image: order.map((p) => this.images[p]), text };
  }
}
