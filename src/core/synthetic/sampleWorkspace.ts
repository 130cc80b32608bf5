/**
 * The embedded sample workspace (`embedding-lens sample DIR`, `npm run demo`, the end-to-end tests):
 * the same synthetic CLIP-like geometry in every format the readers take.
 */
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { Matrix } from '../readers/checkpoint';
import { writeSampleSuites } from './sampleSuites';
import { InputError } from '../util/errors';
import { generateSample } from './sampleCheckpoint';
import { writeFileAtomic, writeNpy, writeNpz, writeSafetensors } from '../writers';

function stacked(image: Matrix, text: Matrix): Float32Array {
  const out = new Float32Array(image.data.length + text.data.length);
  out.set(image.data, 0);
  out.set(text.data, image.data.length);
  return out;
}

const readme = `# Embedding Lens sample workspace

Synthetic embeddings with the geometry of a real CLIP model (two narrow cones about 0.85 apart,
R@1 near 50%), made by Embedding Lens's own generator. Open any file with the Embedding Lens editor,
or run "Embedding Lens: Analyze Embeddings" from the command palette.

- clip-sample.npy: shape (2, 500, 512) = [image, text]
- clip-sample.npz: members image_embeds, text_embeds (deflated)
- clip-sample.safetensors: image_embeds, text_embeds as F16, with __metadata__ and captions
- pair/clip_image.npy + pair/clip_text.npy: one modality per file, paired by name
- coco-style-5captions.npz: 200 images with 5 captions each, the text_to_image index, and the
  captions themselves as a string array
- random-init.npy: the same pairs through an "untrained" model: chance-level retrieval
- classification/zero-shot.suite.json, classification/fine-tuned.suite.json: zero-shot classification
  suites (20 classes, prompt ensembles) of two checkpoints, each an in-distribution set (id.npz) and two
  shifted sets (shift-sketch.npz, shift-rendition.npz) whose accuracy drops as real shifts do. Analyze
  a suite, or compare the two for the robustness plot. Each folder is also a suite by itself.
`;

const mkdirProblems: Record<string, string> = {
  ENOTDIR: 'it, or a folder above it, is a file',
  EEXIST: "its 'pair' is a file, not a folder",
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
};

export async function writeSampleWorkspace(dir: string): Promise<string[]> {
  await mkdir(path.join(dir, 'pair'), { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(dir, `cannot create the folder (${mkdirProblems[err.code ?? ''] ?? err.code ?? err.message})`);
  });
  const { image, text } = generateSample({ seed: 1 });
  const n = image.rows;
  const d = image.cols;
  const written: string[] = [];
  const out = (name: string) => {
    const f = path.join(dir, name);
    written.push(f);
    return f;
  };
  await writeNpy(out('clip-sample.npy'), [2, n, d], stacked(image, text));
  await writeNpz(
    out('clip-sample.npz'),
    { image_embeds: { shape: [n, d], data: image.data }, text_embeds: { shape: [n, d], data: text.data } },
    { deflate: true },
  );
  await writeSafetensors(
    out('clip-sample.safetensors'),
    {
      image_embeds: { shape: [n, d], dtype: 'F16', data: image.data },
      text_embeds: { shape: [n, d], dtype: 'F16', data: text.data },
    },
    {
      model: 'synthetic CLIP-like sample (Embedding Lens generator, seed 1)',
      captions: JSON.stringify(Array.from({ length: n }, (_, i) => `sample caption ${i}`)),
    },
  );
  await writeNpy(out(path.join('pair', 'clip_image.npy')), [n, d], image.data);
  await writeNpy(out(path.join('pair', 'clip_text.npy')), [n, d], text.data);
  const coco = generateSample({ seed: 2, pairs: 200, captionsPerImage: 5 });
  await writeNpz(out('coco-style-5captions.npz'), {
    image_embeds: { shape: [coco.image.rows, d], data: coco.image.data },
    text_embeds: { shape: [coco.text.rows, d], data: coco.text.data },
    text_to_image: { shape: [coco.text.rows], data: coco.textToImage! },
    captions: { strings: Array.from(coco.textToImage!, (image, k) => `image ${image}, caption ${(k % 5) + 1}`) },
  });
  const random = generateSample({ seed: 3, aligned: false });
  await writeNpy(out('random-init.npy'), [2, n, d], stacked(random.image, random.text));
  written.push(...(await writeSampleSuites(dir)));
  await writeFileAtomic(out('README.md'), Buffer.from(readme));
  return written;
}
