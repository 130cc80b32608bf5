/**
 * Bytes one block row costs: the float32 product row in the backend, its read-back copy, and
 * slack for the backend's scratch.
 */
export const bytesPerBlockRow = (cols: number): number => cols * 4 * 3;

/** Rows per block: as many as the budget allows, at least 1, at most `rows`. */
export function blockRows(budgetBytes: number, rows: number, cols: number): number {
  return Math.max(1, Math.min(rows, Math.floor(budgetBytes / bytesPerBlockRow(cols))));
}
