/**
 * Bytes one block row costs: its row of the read-back buffer (counted as all `cols` columns; the
 * runner holds the within-set and cross parts one at a time, so it needs at most the wider), plus
 * its share of the backend's one block x chunk product at a time (product row, read-back copy, and
 * slack for the block row itself). Products go chunk by chunk, so only the JS row spans `cols`.
 */
export const bytesPerBlockRow = (cols: number): number => (cols + 3 * 512) * 4;

/** Rows per block: as many as the budget allows, at least 1, at most `rows`. */
export function blockRows(budgetBytes: number, rows: number, cols: number): number {
  return Math.max(1, Math.min(rows, Math.floor(budgetBytes / bytesPerBlockRow(cols))));
}
