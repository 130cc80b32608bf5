/** The project's CLIP-like sample as test files. */
import { writeFileSync } from 'node:fs';
import { generateSample } from '../../src/core/synthetic/sampleCheckpoint';
import { encodeSafetensors, writeNpy } from '../../src/core/writers';

/** One (2, N, D) .npy: image rows, then text rows. */

export async function writeSamplePairsNpy(file: string, pairs: number, dim: number, seed: number): Promise<void> {
  const { image, text } = generateSample({ pairs, dim, seed });
  const both = new Float32Array(2 * pairs * dim);
  both.set(image.data);
  both.set(text.data, pairs * dim);
  await writeNpy(file, [2, pairs, dim], both);
}

/**
 * The sample with several captions per image as one .safetensors: image_embeds, text_embeds and
 * the text_to_image index.
 */
export function writeSampleCaptionsSafetensors(
  file: string,
  sample: { pairs: number; dim: number; seed: number; captionsPerImage: number },
): void {
  const { image, text, textToImage } = generateSample(sample);
  writeFileSync(
    file,
    encodeSafetensors({
      image_embeds: { shape: [image.rows, image.cols], dtype: 'F32', data: image.data },
      text_embeds: { shape: [text.rows, text.cols], dtype: 'F32', data: text.data },
      text_to_image: { shape: [text.rows], dtype: 'I32', data: textToImage! },
    }),
  );
}
