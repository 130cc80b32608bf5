/** Rows as CSV text: fields with a comma, quote or newline quoted, one line per row, a final newline. */
export function csvText(rows: string[][]): string {
  const field = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return rows.map((r) => r.map(field).join(',')).join('\n') + '\n';
}
