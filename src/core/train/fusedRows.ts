/**
 * Row-wise WebGPU kernels of the training step: normalising rows with its backward pass, gathering
 * rows by index, and summing blocks of rows into gradients. Each replaces several TensorFlow.js ops,
 * and each of those ops would be a dispatch of its own (a norm alone is four).
 */
import * as tf from '@tensorflow/tfjs-core';
import { inputNames, runKernel } from './webgpuKernel';

/** normalize(p) row by row: p_i / |p_i|, one thread a row. */
export function fusedNormalizeRows(p: tf.Tensor2D): tf.Tensor2D {
  const [r, d] = p.shape;
  const body = `
    let d = uniforms.d;
    var sq = 0.0;
    for (var k = 0; k < d; k++) { let v = A[index * d + k]; sq += v * v; }
    let norm = sqrt(sq);
    for (var k = 0; k < d; k++) { setOutputAtIndex(index * d + k, A[index * d + k] / norm); }`;
  return runKernel('normalizeRows', body, [p], [r, d], r, { d: [d] }) as tf.Tensor2D;
}

/** dL/dp given dL/dz for z = normalize(p): (dz - z (dz . z)) / |p|, row by row. */
export function fusedNormalizeBackward(dz: tf.Tensor2D, z: tf.Tensor2D, p: tf.Tensor2D): tf.Tensor2D {
  const [r, d] = p.shape;
  const body = `
    let d = uniforms.d;
    var sq = 0.0;
    var dot = 0.0;
    for (var k = 0; k < d; k++) {
      let v = C[index * d + k];
      sq += v * v;
      dot += A[index * d + k] * B[index * d + k];
    }
    let norm = sqrt(sq);
    for (var k = 0; k < d; k++) {
      let at = index * d + k;
      setOutputAtIndex(at, (A[at] - B[at] * dot) / norm);
    }`;
  return runKernel('normalizeBackward', body, [dz, z, p], [r, d], r, { d: [d] }) as tf.Tensor2D;
}

/**
 * Rows of `sources` (each n_s x D) picked by `rows`: row v of the first source, or with two sources,
 * row v - n_0 of the second where v >= n_0 (as if they were one tensor, without the copy a concat makes).
 */
export function gatherRows(sources: [tf.Tensor2D] | [tf.Tensor2D, tf.Tensor2D], rows: Int32Array): tf.Tensor2D {
  const d = sources[0].shape[1];
  const index = tf.tensor1d(rows, 'int32');
  const [one, two] = sources;
  const src = inputNames[sources.length];
  const read = two
    ? `if (v < split) { out = A[v * d + col]; } else { out = B[(v - split) * d + col]; }`
    : 'out = A[v * d + col];';
  const body = `
    let d = uniforms.d;
    let split = uniforms.split;
    let row = index / d;
    let col = index - row * d;
    let v = ${src}[row];
    var out = 0.0;
    ${read}
    setOutputAtIndex(index, out);`;
  return runKernel(`gatherRows_${sources.length}`, body, [...sources, index], [rows.length, d], rows.length * d, {
    d: [d],
    split: [one.shape[0]],
  }) as tf.Tensor2D;
}

/** Block `slab` (rows slab B .. slab B + B - 1) of `from`, read in its own or in reverse row order. */
export interface Slab {
  from: tf.Tensor;
  slab: number;
  reversed: boolean;
}

/**
 * Blocks of B rows, each the sum of the slabs listed for it (none: zeros): where the gradients of
 * a step's terms meet, one kernel instead of a slice per block, an addN and a reverse per sum.
 */
export function sumSlabs(b: number, d: number, blocks: Slab[][]): tf.Tensor2D {
  // Only tensors some slab reads are inputs: the pipeline's bindings come from the shader, and an unread one is dropped.
  const inputs = [...new Set(blocks.flat().map((s) => s.from))];
  if (!inputs.length) return tf.zeros([blocks.length * b, d]);
  const name = (s: Slab) => inputNames[inputs.indexOf(s.from)];
  // Sizes are uniforms, never literals: the shader is compiled once per key, and the key holds no sizes.
  const read = (s: Slab) => `${name(s)}[(${s.slab} * b + ${s.reversed ? 'r' : 'i'}) * d + col]`;
  const sums = blocks.map(
    (slabs, k) => `if (block == ${k}) { g = ${slabs.length ? slabs.map(read).join(' + ') : '0.0'}; }`,
  );
  const body = `
    let d = uniforms.d;
    let b = uniforms.b;
    let row = index / d;
    let col = index - row * d;
    let block = row / b;
    let i = row - block * b;
    let r = b - 1 - i;
    var g = 0.0;
    ${sums.join('\n    ')}
    setOutputAtIndex(index, g);`;
  // The key names the code: which slabs each block sums.
  const key = blocks
    .map((slabs) => slabs.map((s) => `${name(s)}${s.slab}${s.reversed ? 'r' : ''}`).join('+'))
    .join('|');
  return runKernel(`sumSlabs_${key}`, body, inputs, [blocks.length * b, d], blocks.length * b * d, {
    d: [d],
    b: [b],
  }) as tf.Tensor2D;
}
