/**
 * Synthetic embeddings with the geometry of a real CLIP checkpoint, for the demo and the tests:
 * each modality sits in its own narrow cone (a shared direction plus a per-modality direction), the
 * cones are ~0.85 apart (the modality gap), and pairs share a semantic part made of a topic cluster
 * and a per-pair detail, which puts R@1 near 50% at N = 500. Parameters were tuned against
 * shared/data/clip-vitb16-coco500.reference.json.
 */
import type { Checkpoint, Matrix } from '../readers/checkpoint';
import { gaussian, mulberry32, type Rng } from '../util/random';

export interface SampleOptions {
  pairs: number;
  dim: number;
  seed: number;
  /** Captions per image (COCO has 5); > 1 adds a text-to-image index. */
  captionsPerImage: number;
  /** False gives an unaligned, randomly-initialised-looking model: chance-level retrieval. */
  aligned: boolean;
}

const geometry = { shared: 0.65, cone: 0.9, semantic: 1, detail: 0.3, noise: 0.8, topic: 0.6, topics: 40 };

function randomVector(rng: Rng, dim: number): Float64Array {
  const v = new Float64Array(dim);
  const scale = 1 / Math.sqrt(dim);
  for (let d = 0; d < dim; d++) v[d] = gaussian(rng) * scale;
  return v;
}

/** Writes normalize(sum of weight * vector) into row `row` of `out`. */
function writeRow(out: Matrix, row: number, parts: [number, Float64Array][]): void {
  const { cols, data } = out;
  const acc = new Float64Array(cols);
  for (const [w, v] of parts) for (let d = 0; d < cols; d++) acc[d] += w * v[d];
  let norm = 0;
  for (let d = 0; d < cols; d++) norm += acc[d] * acc[d];
  norm = Math.sqrt(norm);
  for (let d = 0; d < cols; d++) data[row * cols + d] = acc[d] / norm;
}

export function generateSample(opts: Partial<SampleOptions> = {}): Checkpoint {
  const { pairs, dim, seed, captionsPerImage, aligned } = {
    pairs: 500,
    dim: 512,
    seed: 1,
    captionsPerImage: 1,
    aligned: true,
    ...opts,
  };
  const rng = mulberry32(seed);
  const g = geometry;
  const shared = randomVector(rng, dim);
  const imageCone = randomVector(rng, dim);
  const textCone = randomVector(rng, dim);
  const topics = Array.from({ length: g.topics }, () => randomVector(rng, dim));
  const nText = pairs * captionsPerImage;
  const image: Matrix = { rows: pairs, cols: dim, data: new Float32Array(pairs * dim) };
  const text: Matrix = { rows: nText, cols: dim, data: new Float32Array(nText * dim) };
  const textToImage = new Int32Array(nText);
  const semanticWeight = aligned ? g.semantic : 0;
  for (let i = 0; i < pairs; i++) {
    const topic = topics[Math.floor(rng() * g.topics)];
    const semantic = randomVector(rng, dim);
    for (let d = 0; d < dim; d++) semantic[d] = g.topic * topic[d] + g.detail * semantic[d];
    writeRow(image, i, [
      [g.shared, shared],
      [g.cone, imageCone],
      [semanticWeight, semantic],
      [g.noise, randomVector(rng, dim)],
    ]);
    for (let c = 0; c < captionsPerImage; c++) {
      const k = i * captionsPerImage + c;
      textToImage[k] = i;
      writeRow(text, k, [
        [g.shared, shared],
        [g.cone, textCone],
        [semanticWeight, semantic],
        [g.noise, randomVector(rng, dim)],
      ]);
    }
  }
  return {
    files: [],
    image,
    text,
    textToImage: captionsPerImage > 1 ? textToImage : undefined,
    warnings: [],
  };
}
