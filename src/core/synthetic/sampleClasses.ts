/**
 * Synthetic zero-shot classification sets with the behaviour of real distribution shifts: classes
 * come in groups of look-alikes (wolf/husky), so errors concentrate on confusable pairs; a shifted
 * set weakens the class signal and adds a domain direction and a per-class distortion (a sketch of a
 * wolf is drawn unlike a photo of one), so accuracy drops and the confusion grows. Class embeddings
 * are prompt ensembles (C, P, D) in their own cone, as CLIP's text tower puts them.
 */
import type { Matrix } from '../readers/checkpoint';
import { gaussian, mulberry32, type Rng } from '../util/random';

export const sampleClassNames = [
  'wolf',
  'husky',
  'coyote',
  'tabby cat',
  'lynx',
  'sports car',
  'pickup truck',
  'school bus',
  'goldfish',
  'shark',
  'eagle',
  'owl',
  'oak tree',
  'palm tree',
  'violin',
  'guitar',
  'teapot',
  'coffee mug',
  'lighthouse',
  'castle',
];
/** Group of each class: look-alikes share a direction. */
const classGroups = [0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8];

/** How strongly one set shows its classes: the knobs behind its accuracy. */
export interface SetShape {
  /** Weight of the class direction in each image. */
  signal: number;
  /** Weight of the set's domain direction and of its per-class distortion (0 in distribution). */
  domain: number;
  distortion: number;
}

export interface ClassificationSample {
  image: Matrix;
  labels: Int32Array;
  /** (C, P, D) row-major. */
  classEmbeds: Float32Array;
  classes: number;
  prompts: number;
}

const prompts = 4;
const geometry = { shared: 0.65, cone: 0.9, group: 0.8, detail: 0.6, noise: 1, promptNoise: 0.35 };

function randomVector(rng: Rng, dim: number): Float64Array {
  const v = new Float64Array(dim);
  for (let d = 0; d < dim; d++) v[d] = gaussian(rng) / Math.sqrt(dim);
  return v;
}

function writeRow(out: Float32Array, row: number, dim: number, parts: [number, Float64Array][]): void {
  const acc = new Float64Array(dim);
  for (const [w, v] of parts) for (let d = 0; d < dim; d++) acc[d] += w * v[d];
  const norm = Math.hypot(...acc);
  for (let d = 0; d < dim; d++) out[row * dim + d] = acc[d] / norm;
}

/**
 * One model's view of the classes (`modelSeed`: the class and text geometry) on one set
 * (`setSeed`: its images and its domain). Sets of one model share their class embeddings.
 */
export function generateClassificationSet(opts: {
  modelSeed: number;
  setSeed: number;
  images: number;
  dim: number;
  shape: SetShape;
}): ClassificationSample {
  const { images, dim, shape } = opts;
  const classes = sampleClassNames.length;
  const model = mulberry32(opts.modelSeed);
  const shared = randomVector(model, dim);
  const imageCone = randomVector(model, dim);
  const textCone = randomVector(model, dim);
  const groups = Array.from({ length: Math.max(...classGroups) + 1 }, () => randomVector(model, dim));
  const directions = classGroups.map((g) => {
    const own = randomVector(model, dim);
    return own.map((v, d) => geometry.group * groups[g][d] + geometry.detail * v);
  });
  const classEmbeds = new Float32Array(classes * prompts * dim);
  for (let c = 0; c < classes; c++) {
    for (let p = 0; p < prompts; p++) {
      writeRow(classEmbeds, c * prompts + p, dim, [
        [geometry.shared, shared],
        [geometry.cone, textCone],
        [1, directions[c]],
        [geometry.promptNoise, randomVector(model, dim)],
      ]);
    }
  }
  const set = mulberry32(opts.setSeed);
  const domain = randomVector(set, dim);
  const distortions = directions.map(() => randomVector(set, dim));
  const labels = new Int32Array(images);
  const image = new Float32Array(images * dim);
  for (let i = 0; i < images; i++) {
    const c = i % classes;
    labels[i] = c;
    writeRow(image, i, dim, [
      [geometry.shared, shared],
      [geometry.cone, imageCone],
      [shape.signal, directions[c]],
      [shape.domain, domain],
      [shape.distortion, distortions[c]],
      [geometry.noise, randomVector(set, dim)],
    ]);
  }
  return { image: { rows: images, cols: dim, data: image }, labels, classEmbeds, classes, prompts };
}
