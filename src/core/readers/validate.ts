/**
 * The checks every checkpoint passes before any metric sees it: shapes, dtypes, pair counts, the
 * text-to-image index, and rows that cannot be normalised (NaN/Inf or all zeros).
 */
import type { Checkpoint, Matrix } from './checkpoint';
import { InputError, NeedsPartnerError } from '../util/errors';
import { isFloatType, isIntType, shapeText } from './dtypes';
import type { NamedArray } from './types';

/** An array and where it came from, for messages. */
export interface Located {
  file: string;
  /** How messages name the array: "array 'img'", 'the array', ... */
  label: string;
  array: NamedArray;
}

export interface CheckpointParts {
  files: string[];
  image: Located;
  text: Located;
  index?: Located;
  captions?: string[];
  metadata?: Record<string, string>;
}

/** A (2, N, D) array split into its image and text halves. */
export function splitStacked(stacked: Located): { image: Located; text: Located } {
  const { shape, data, dtype } = stacked.array;
  if (shape.length === 2) {
    throw new NeedsPartnerError(
      stacked.file,
      `${stacked.label} has shape ${shapeText(shape)}: one modality only, and no file with the other one was found beside it (name them *image*/*img* and *text*/*txt*, or open both)`,
    );
  }
  if (shape.length !== 3 || shape[0] !== 2) throw shapeError(stacked);
  const half = shape[1] * shape[2];
  const part = (k: number, label: string): Located => ({
    file: stacked.file,
    label: `${label} (${stacked.label}[${k}])`,
    // Views, not copies: the halves share the decoded array, so the file's data is held once.
    array: { shape: shape.slice(1), dtype, data: data.subarray(k * half, (k + 1) * half) },
  });
  return { image: part(0, 'image embeddings'), text: part(1, 'text embeddings') };
}

function shapeError(e: Located): InputError {
  return new InputError(
    e.file,
    `${e.label} has shape ${shapeText(e.array.shape)}, which is neither (N, D) nor (2, N, D)`,
  );
}

function checkEmbeddings(e: Located): Matrix {
  const { shape, dtype, data } = e.array;
  if (!isFloatType(dtype)) {
    throw new InputError(
      e.file,
      `${e.label} has dtype ${dtype}; embeddings must be floats (integers are read only as a text-to-image index)`,
    );
  }
  if (shape.length !== 2) throw shapeError(e);
  if (shape[0] === 0 || shape[1] === 0) throw new InputError(e.file, `${e.label} is empty: shape ${shapeText(shape)}`);
  return { rows: shape[0], cols: shape[1], data: data as Float32Array };
}

/** Names both files when the two halves come from different ones. */
const bothFiles = (a: Located, b: Located): string => (a.file === b.file ? a.file : `${a.file} + ${b.file}`);

export function buildCheckpoint(parts: CheckpointParts): Checkpoint {
  const image = checkEmbeddings(parts.image);
  const text = checkEmbeddings(parts.text);
  const where = bothFiles(parts.image, parts.text);
  if (image.cols !== text.cols) {
    throw new InputError(where, `mismatched embedding sizes: images have ${image.cols} dimensions, texts ${text.cols}`);
  }
  if (parts.captions && parts.captions.length !== text.rows) {
    throw new InputError(parts.text.file, `${parts.captions.length} captions for ${text.rows} texts`);
  }
  const base = { files: parts.files, metadata: parts.metadata, captions: parts.captions };
  if (parts.index) {
    const textToImage = checkIndex(parts.index, image.rows, text.rows);
    refuseBadRows(parts.image, image, 'image');
    refuseBadRows(parts.text, text, 'text');
    return { ...base, image, text, textToImage, warnings: [] };
  }
  if (image.rows !== text.rows) {
    throw new InputError(where, `mismatched pair counts: ${image.rows} images, ${text.rows} texts`);
  }
  return dropBadPairs(base, image, text, where);
}

function checkIndex(index: Located, images: number, texts: number): Int32Array {
  const { shape, dtype, data } = index.array;
  if (!isIntType(dtype))
    throw new InputError(
      index.file,
      `${index.label} (the text-to-image index) has dtype ${dtype}; it must hold integers`,
    );
  if (shape.length !== 1 || shape[0] !== texts) {
    throw new InputError(
      index.file,
      `${index.label} (the text-to-image index) has shape ${shapeText(shape)}; it needs one entry per text, (${texts},)`,
    );
  }
  const bad = data.findIndex((v) => v < 0 || v >= images);
  if (bad >= 0) {
    throw new InputError(
      index.file,
      `${index.label} (the text-to-image index) maps text ${bad} to image ${data[bad]}, outside 0..${images - 1}`,
    );
  }
  return data as Int32Array;
}

/** A row no metric can use: it holds NaN/Inf, or it is all zeros and has no direction. */
function isBadRow(m: Matrix, row: number): boolean {
  let zero = true;
  for (let j = row * m.cols, end = j + m.cols; j < end; j++) {
    const v = m.data[j];
    if (!Number.isFinite(v)) return true;
    if (v !== 0) zero = false;
  }
  return zero;
}

function refuseBadRows(e: Located, m: Matrix, kind: string): void {
  for (let row = 0; row < m.rows; row++) {
    if (isBadRow(m, row)) {
      throw new InputError(
        e.file,
        `${kind} row ${row} has NaN/Inf values or is all zeros; rows cannot be skipped when a text-to-image index refers to them`,
      );
    }
  }
}

function dropBadPairs(
  base: Omit<Checkpoint, 'image' | 'text' | 'warnings'>,
  image: Matrix,
  text: Matrix,
  where: string,
): Checkpoint {
  const keep: number[] = [];
  for (let i = 0; i < image.rows; i++) if (!isBadRow(image, i) && !isBadRow(text, i)) keep.push(i);
  const skipped = image.rows - keep.length;
  if (skipped === 0) return { ...base, image, text, warnings: [] };
  if (keep.length === 0) throw new InputError(where, `all ${image.rows} pairs have NaN/Inf or all-zero vectors`);
  let first = 0;
  while (keep[first] === first) first++;
  const rows = (m: Matrix): Matrix => {
    const data = new Float32Array(keep.length * m.cols);
    keep.forEach((row, k) => data.set(m.data.subarray(row * m.cols, (row + 1) * m.cols), k * m.cols));
    return { rows: keep.length, cols: m.cols, data };
  };
  return {
    ...base,
    image: rows(image),
    text: rows(text),
    captions: base.captions && keep.map((row) => base.captions![row]),
    warnings: [
      `skipped ${skipped} of ${image.rows} pairs with NaN/Inf or zero vectors (first: pair ${first}, counting from 0)`,
    ],
  };
}
