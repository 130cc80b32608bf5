/** The project's CLIP-like sample as one (2, N, D) .npy: image rows, then text rows. */
import { generateSample } from '../../src/core/synthetic/sampleCheckpoint';
import { writeNpy } from '../../src/core/writers';

export async function writeSamplePairsNpy(file: string, pairs: number, dim: number, seed: number): Promise<void> {
  const { image, text } = generateSample({ pairs, dim, seed });
  const both = new Float32Array(2 * pairs * dim);
  both.set(image.data);
  both.set(text.data, pairs * dim);
  await writeNpy(file, [2, pairs, dim], both);
}
