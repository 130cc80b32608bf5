/**
 * The sample workspace's classification suites: two "checkpoints" of one model family (zero-shot and
 * fine-tuned) over the same images, each an in-distribution set and two shifted ones, so `compare`
 * draws the robustness plot with two points. Shapes tuned with analyzeZeroShot: zero-shot ~70 / 50 /
 * 31 % top-1, fine-tuned ~82 / 50 / 31 % — fine-tuning buys in-distribution accuracy, not robustness.
 */
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic, writeNpz } from '../writers';
import { generateClassificationSet, sampleClassNames, type SetShape } from './sampleClasses';

const sets: { name: string; file: string; setSeed: number }[] = [
  { name: 'id', file: 'id.npz', setSeed: 100 },
  { name: 'sketch', file: 'shift-sketch.npz', setSeed: 101 },
  { name: 'rendition', file: 'shift-rendition.npz', setSeed: 102 },
];

const checkpoints: { name: string; shapes: SetShape[] }[] = [
  {
    name: 'zero-shot',
    shapes: [
      { signal: 0.26, domain: 0, distortion: 0 },
      { signal: 0.22, domain: 0.6, distortion: 0.4 },
      { signal: 0.19, domain: 1, distortion: 0.6 },
    ],
  },
  {
    name: 'fine-tuned',
    shapes: [
      { signal: 0.31, domain: 0, distortion: 0 },
      { signal: 0.23, domain: 0.6, distortion: 0.6 },
      { signal: 0.19, domain: 1, distortion: 0.8 },
    ],
  },
];

export const sampleSuiteImages = 400;
export const sampleSuiteDim = 256;

/** Writes `classification/<checkpoint>/{id,shift-*}.npz` and `classification/<checkpoint>.suite.json`. */
export async function writeSampleSuites(dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const checkpoint of checkpoints) {
    const folder = path.join(dir, 'classification', checkpoint.name);
    await mkdir(folder, { recursive: true });
    for (const [k, set] of sets.entries()) {
      const s = generateClassificationSet({
        modelSeed: 11,
        setSeed: set.setSeed,
        images: sampleSuiteImages,
        dim: sampleSuiteDim,
        shape: checkpoint.shapes[k],
      });
      const file = path.join(folder, set.file);
      await writeNpz(
        file,
        {
          image_embeds: { shape: [s.image.rows, s.image.cols], data: s.image.data },
          labels: { shape: [s.labels.length], data: s.labels, dtype: 'int64' },
          class_embeds: { shape: [s.classes, s.prompts, sampleSuiteDim], data: s.classEmbeds },
          class_names: { strings: sampleClassNames },
        },
        { deflate: true },
      );
      written.push(file);
    }
    const suite = {
      name: checkpoint.name,
      inDistribution: `${checkpoint.name}/${sets[0].file}`,
      shifted: sets.slice(1).map((set) => ({ name: set.name, file: `${checkpoint.name}/${set.file}` })),
    };
    const suiteFile = path.join(dir, 'classification', `${checkpoint.name}.suite.json`);
    await writeFileAtomic(suiteFile, Buffer.from(JSON.stringify(suite, null, 2) + '\n'));
    written.push(suiteFile);
  }
  return written;
}
