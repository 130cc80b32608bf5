/**
 * Row blocks of a step's tensors: equal splits along the first axis, and the batch in reverse row
 * order (V-Mix and L-Mix mix row i with row B-1-i). tfjs-wasm's Slice and Reverse copy their whole
 * input out of the heap for every output, so a split into 5 read the input 5 times: at batch 512,
 * splits and reversals took a fifth of a wasm step. On the backends that read synchronously (wasm,
 * cpu) the input is read once and the blocks cut from it; elsewhere these are the tf ops (on
 * webgpu one dispatch a block, and reading would wait for the GPU).
 */
import * as tf from '@tensorflow/tfjs-core';

const readsOnce = (): boolean => tf.getBackend() === 'wasm' || tf.getBackend() === 'cpu';

/** `x` cut into `parts` equal blocks along its first axis. */
export function splitRows<T extends tf.Tensor>(x: T, parts: number): T[] {
  if (!readsOnce()) return tf.split(x, parts) as T[];
  const data = x.dataSync() as Float32Array;
  const shape = [x.shape[0] / parts, ...x.shape.slice(1)];
  const size = data.length / parts;
  return Array.from({ length: parts }, (_, i) => tf.tensor(data.subarray(i * size, (i + 1) * size), shape) as T);
}

/** The rows of `x` in reverse order. */
export function reverseRows(x: tf.Tensor2D): tf.Tensor2D {
  if (!readsOnce()) return tf.reverse(x, 0);
  const data = x.dataSync() as Float32Array;
  const [rows, cols] = x.shape;
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) out.set(data.subarray(r * cols, (r + 1) * cols), (rows - 1 - r) * cols);
  return tf.tensor2d(out, [rows, cols]);
}
