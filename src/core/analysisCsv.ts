/** One analysis's metrics as CSV for spreadsheets: one `metric,value` row per number, nested keys dotted. */
import type { AnalysisResult } from './metrics/types';

function rows(value: unknown, key: string, out: string[][]): void {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) rows(v, key ? `${key}.${k}` : k, out);
  } else out.push([key, String(value)]);
}

function csvField(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function analysisCsv(result: AnalysisResult): string {
  const out: string[][] = [['metric', 'value']];
  rows(result, '', out);
  return out.map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}
