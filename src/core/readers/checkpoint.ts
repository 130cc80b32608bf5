/** Row-major float32 matrix: the one in-memory form every reader produces and every metric consumes. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export interface Checkpoint {
  /** The file or files the embeddings came from, as the user named them. */
  files: string[];
  image: Matrix;
  text: Matrix;
  /**
   * Multi-caption sets: textToImage[k] is the image of caption k. Absent means one caption per
   * image, paired by row.
   */
  textToImage?: Int32Array;
  /** safetensors `__metadata__`, shown to the user verbatim. */
  metadata?: Record<string, string>;
  /** Per-text captions or ids when the file carries them. */
  captions?: string[];
  /** Things the user should know about the input (skipped rows, non-unit norms...). */
  warnings: string[];
}

export function matrix(rows: number, cols: number, data?: Float32Array): Matrix {
  return { rows, cols, data: data ?? new Float32Array(rows * cols) };
}
