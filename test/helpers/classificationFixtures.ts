/** Classification files for the tests: a generated set written as .npz or .safetensors, with parts to spoil. */
import { generateClassificationSet } from '../../src/core/synthetic/sampleClasses';
import { writeNpz, writeSafetensors } from '../../src/core/writers';
import type { NpzArray } from '../../src/core/writers';

export const fixtureClasses = 20;
export const fixtureDim = 16;

export function fixtureSet(images = 60, setSeed = 5) {
  return generateClassificationSet({
    modelSeed: 7,
    setSeed,
    images,
    dim: fixtureDim,
    shape: { signal: 0.5, domain: 0, distortion: 0 },
  });
}

/** An .npz classification set; `members` replaces or adds members (a spoiled label array, pairs). */
export async function writeClassificationNpz(
  file: string,
  members: Record<string, NpzArray> = {},
  images = 60,
  setSeed = 5,
): Promise<void> {
  const s = fixtureSet(images, setSeed);
  await writeNpz(file, {
    image_embeds: { shape: [s.image.rows, fixtureDim], data: s.image.data },
    labels: { shape: [s.labels.length], data: s.labels, dtype: 'int64' },
    class_embeds: { shape: [s.classes, s.prompts, fixtureDim], data: s.classEmbeds },
    ...members,
  });
}

export async function writeClassificationSafetensors(file: string, classNames?: string[]): Promise<void> {
  const s = fixtureSet();
  await writeSafetensors(
    file,
    {
      image_embeds: { shape: [s.image.rows, fixtureDim], dtype: 'F16', data: s.image.data },
      labels: { shape: [s.labels.length], dtype: 'I64', data: s.labels },
      class_embeds: { shape: [s.classes, s.prompts, fixtureDim], dtype: 'F32', data: s.classEmbeds },
    },
    classNames ? { class_names: JSON.stringify(classNames) } : undefined,
  );
}
