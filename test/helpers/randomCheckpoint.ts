import type { Checkpoint } from '../../src/core/readers/checkpoint';
import { gaussian, mulberry32 } from '../../src/core/util/random';

/**
 * Gaussian images; each text is its image plus noise, at a random scale (so inputs are not unit
 * length). `captions[i]` texts for image i; with more than one anywhere, the texts are shuffled so
 * one image's captions are not adjacent, and a text-to-image index pairs them.
 */
export function randomCheckpoint(seed: number, dim: number, captions: number[], noise = 1): Checkpoint {
  const rng = mulberry32(seed);
  const ni = captions.length;
  const image = new Float32Array(ni * dim).map(() => gaussian(rng) * 3);
  const owner = captions.flatMap((c, i) => new Array<number>(c).fill(i));
  const multi = owner.length !== ni;
  if (multi) {
    for (let k = owner.length - 1; k > 0; k--) {
      const j = Math.floor(rng() * (k + 1));
      [owner[k], owner[j]] = [owner[j], owner[k]];
    }
  }
  const nt = owner.length;
  const text = new Float32Array(nt * dim);
  owner.forEach((i, k) => {
    const scale = 0.5 + rng();
    for (let d = 0; d < dim; d++) text[k * dim + d] = scale * (image[i * dim + d] + noise * 3 * gaussian(rng));
  });
  return {
    files: [`random-${seed}.npy`],
    image: { rows: ni, cols: dim, data: image },
    text: { rows: nt, cols: dim, data: text },
    textToImage: multi ? Int32Array.from(owner) : undefined,
    warnings: [],
  };
}
