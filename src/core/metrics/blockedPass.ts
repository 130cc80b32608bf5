/**
 * The one fused pass over all similarities. Nothing N x N is ever held: row blocks of
 * X [X^T | Y^T] and Y [Y^T | X^T] are multiplied, read back once, and folded into float64
 * accumulators by tight loops over typed arrays.
 *
 * X^T and Y^T are built once and kept as column chunks of `chunkCols`, so every product is a plain
 * matMul (tfjs-wasm runs transposeB about 8x slower) against an operand small enough to stay in
 * cache (one 512 x 10,000 operand measured 17 GFLOP/s, 512-column chunks 28). Chunks also give the
 * triangle for free: image rows [a, b) only need image columns from a's chunk on (pairs i < j of U(X)),
 * text rows likewise for U(Y).
 * t2i gets its own products rather than reusing the i2t blocks transposed, so each direction's true
 * pair and its candidates come out of the same matMul (ties would flip otherwise).
 */
import * as tf from '@tensorflow/tfjs-core';
import { throwIfCancelled, type CancelToken, type ProgressFn } from '../cancel';
import { expNonPositive } from './fastExp';
import type { Pairing } from './pairing';

export interface PassInput {
  x: Float32Array;
  y: Float32Array;
  ni: number;
  nt: number;
  dim: number;
  pairing: Pairing;
  uniformityT: number;
  eceTau: number;
  blockRows: number;
  token?: CancelToken;
  onProgress?: ProgressFn;
}

/** Per-direction query statistics. */
export interface QueryStats {
  /** Similarity of the true pair, per text (i2t: as the image row saw it; t2i: as the text row saw it). */
  positive: Float32Array;
  hardestNegative: Float32Array;
  rank: Int32Array;
  /** Softmax confidence max_j p_qj and whether its argmax is a true match. */
  confidence: Float64Array;
  correct: Uint8Array;
}

export interface PassResult {
  /** Sums of exp(-t ||a - b||^2) over pairs i < j within images, within texts, and across. */
  expSumImage: number;
  expSumText: number;
  expSumCross: number;
  i2t: QueryStats;
  t2i: QueryStats;
}

function queryStats(queries: number, texts: number): QueryStats {
  return {
    positive: new Float32Array(texts),
    hardestNegative: new Float32Array(queries),
    rank: new Int32Array(queries),
    confidence: new Float64Array(queries),
    correct: new Uint8Array(queries),
  };
}

const chunkCols = 512;

/** Column chunks of m^T (m is rows x dim). */
function transposedChunks(m: tf.Tensor2D): tf.Tensor2D[] {
  const [rows, dim] = m.shape;
  const chunks: tf.Tensor2D[] = [];
  for (let c = 0; c < rows; c += chunkCols)
    chunks.push(tf.tidy(() => tf.transpose(tf.slice(m, [c, 0], [Math.min(chunkCols, rows - c), dim]))));
  return chunks;
}

export async function blockedPass(inp: PassInput): Promise<PassResult> {
  const { ni, nt, dim, blockRows } = inp;
  const res: PassResult = {
    expSumImage: 0,
    expSumText: 0,
    expSumCross: 0,
    i2t: queryStats(ni, nt),
    t2i: queryStats(nt, nt),
  };
  const x = tf.tensor2d(inp.x, [ni, dim]);
  const y = tf.tensor2d(inp.y, [nt, dim]);
  const tensors: tf.Tensor[] = [x, y];
  const buffer = new Float32Array(blockRows * (ni + nt));
  /** Rows [a, b) of `rows` times the chunks, laid side by side in `buffer` (row width `width`). */
  const product = async (rows: tf.Tensor2D, a: number, b: number, chunks: tf.Tensor2D[], offset: number, width: number) => {
    const block = tf.slice(rows, [a, 0], [b - a, dim]);
    try {
      for (const chunk of chunks) {
        const p = tf.matMul(block, chunk);
        const w = chunk.shape[1];
        // Awaiting (not dataSync) lets an in-process caller's event loop breathe between products.
        let v: Float32Array;
        try {
          v = (await p.data()) as Float32Array;
        } finally {
          p.dispose();
        }
        for (let r = 0; r < b - a; r++) buffer.set(v.subarray(r * w, (r + 1) * w), r * width + offset);
        offset += w;
      }
    } finally {
      block.dispose();
    }
  };
  const total = ni + nt;
  try {
    const xt = transposedChunks(x);
    tensors.push(...xt);
    const yt = transposedChunks(y);
    tensors.push(...yt);
    for (let a = 0; a < ni; a += blockRows) {
      const b = Math.min(ni, a + blockRows);
      const first = Math.floor(a / chunkCols);
      const from = first * chunkCols;
      const width = ni - from + nt;
      await product(x, a, b, xt.slice(first), 0, width);
      await product(x, a, b, yt, ni - from, width);
      imageRows(buffer, a, b, from, inp, res);
      inp.onProgress?.(b / total, `image rows ${a + 1}-${b} of ${ni}`);
      throwIfCancelled(inp.token);
    }
    for (let a = 0; a < nt; a += blockRows) {
      const b = Math.min(nt, a + blockRows);
      const first = Math.floor(a / chunkCols);
      const from = first * chunkCols;
      const width = nt - from + ni;
      await product(y, a, b, yt.slice(first), 0, width);
      await product(y, a, b, xt, nt - from, width);
      textRows(buffer, a, b, from, inp, res);
      inp.onProgress?.((ni + b) / total, `text rows ${a + 1}-${b} of ${nt}`);
      throwIfCancelled(inp.token);
    }
  } finally {
    tf.dispose(tensors);
  }
  return res;
}

/**
 * Image rows a..b of [X X^T (images j >= from) | X Y^T]. Multi-caption: the rank counts texts above the best
 * caption of the image (= the min rank over its captions), and the hardest negative skips every
 * caption of the image.
 */
function imageRows(v: Float32Array, a: number, b: number, from: number, inp: PassInput, res: PassResult): void {
  const { ni, nt } = inp;
  const { owner, captionStart, captions } = inp.pairing;
  const t2 = 2 * inp.uniformityT;
  const invTau = 1 / inp.eceTau;
  const st = res.i2t;
  const width = ni - from + nt;
  let within = 0;
  let cross = 0;
  for (let i = a; i < b; i++) {
    const base = (i - a) * width;
    // ||a - b||^2 = 2 - 2 a.b on unit vectors, so exp(-t ||a - b||^2) = exp(2t s - 2t).
    for (let c = base + i + 1 - from, end = base + ni - from; c < end; c++) within += expNonPositive(t2 * v[c] - t2);
    const c0 = base + ni - from;
    let p = -Infinity;
    for (let q = captionStart[i]; q < captionStart[i + 1]; q++) {
      const s = v[c0 + captions[q]];
      st.positive[captions[q]] = s;
      if (s > p) p = s;
    }
    let rank = 0;
    let hn = -Infinity;
    // Online softmax: running max m and sum z of exp((s - m) / tau), rescaled when m grows.
    let m = -Infinity;
    let z = 0;
    let arg = 0;
    for (let j = 0; j < nt; j++) {
      const s = v[c0 + j];
      cross += expNonPositive(t2 * s - t2);
      if (s > p) rank++;
      if (s > hn && owner[j] !== i) hn = s;
      if (s > m) {
        z = z * expNonPositive((m - s) * invTau) + 1;
        m = s;
        arg = j;
      } else z += expNonPositive((s - m) * invTau);
    }
    st.rank[i] = rank;
    st.hardestNegative[i] = hn;
    st.confidence[i] = 1 / z;
    st.correct[i] = owner[arg] === i ? 1 : 0;
  }
  res.expSumImage += within;
  res.expSumCross += cross;
}

/** Text rows a..b of [Y Y^T (texts j >= from) | Y X^T]: each caption ranks its own image among all images. */
function textRows(v: Float32Array, a: number, b: number, from: number, inp: PassInput, res: PassResult): void {
  const { ni, nt } = inp;
  const { owner } = inp.pairing;
  const t2 = 2 * inp.uniformityT;
  const invTau = 1 / inp.eceTau;
  const st = res.t2i;
  const width = nt - from + ni;
  let within = 0;
  for (let k = a; k < b; k++) {
    const base = (k - a) * width;
    for (let c = base + k + 1 - from, end = base + nt - from; c < end; c++) within += expNonPositive(t2 * v[c] - t2);
    const c0 = base + nt - from;
    const img = owner[k];
    const p = v[c0 + img];
    st.positive[k] = p;
    let rank = 0;
    let hn = -Infinity;
    let m = -Infinity;
    let z = 0;
    let arg = 0;
    for (let i = 0; i < ni; i++) {
      const s = v[c0 + i];
      if (s > p) rank++;
      if (s > hn && i !== img) hn = s;
      if (s > m) {
        z = z * expNonPositive((m - s) * invTau) + 1;
        m = s;
        arg = i;
      } else z += expNonPositive((s - m) * invTau);
    }
    st.rank[k] = rank;
    st.hardestNegative[k] = hn;
    st.confidence[k] = 1 / z;
    st.correct[k] = arg === img ? 1 : 0;
  }
  res.expSumText += within;
}
