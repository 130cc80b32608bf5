/** One analysis's metrics as CSV for spreadsheets: one `metric,value` row per number, nested keys dotted. */
import { csvText } from '../../core/util/csv';

function rows(value: unknown, key: string, out: string[][]): void {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) rows(v, key ? `${key}.${k}` : k, out);
  } else out.push([key, String(value)]);
}

/** Any JSON-like object: the zero-shot and suite results are flattened the same way. */
export function analysisCsv(result: object): string {
  const out: string[][] = [['metric', 'value']];
  rows(result, '', out);
  return csvText(out);
}
