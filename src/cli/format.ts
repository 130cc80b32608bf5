import type { AnalysisResult } from '../core/metrics/types';

const rows: [string, (r: AnalysisResult) => number, string][] = [
  ['uniformity (image ∪ text)', (r) => r.uniformity, 'lower is more uniform'],
  ['uniformity (image)', (r) => r.uniformity_image, 'lower is more uniform'],
  ['uniformity (text)', (r) => r.uniformity_text, 'lower is more uniform'],
  ['alignment', (r) => r.alignment, 'lower is better'],
  ['hardest-negative alignment i2t', (r) => r.hardest_negative_alignment_i2t, 'lower is better'],
  ['hardest-negative alignment t2i', (r) => r.hardest_negative_alignment_t2i, 'lower is better'],
  ['modality gap', (r) => r.modality_gap, 'distance of the modality means'],
  ['ECE (i2t)', (r) => r.ece, 'lower is better calibrated'],
];

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** The readable table `analyze` prints without --json. */
export function formatResult(file: string, r: AnalysisResult, seconds: number, backend: string): string {
  const out: string[] = [];
  out.push(`${file}: ${r.n_image} images, ${r.n_text} texts, ${r.dim} dims (${seconds.toFixed(2)} s on ${backend})`);
  for (const [name, get, hint] of rows) out.push(`  ${pad(name, 32)} ${pad(get(r).toFixed(4), 10)} ${hint}`);
  const ks = Object.keys(r.i2t).filter((k) => k.startsWith('R@'));
  out.push(`  ${pad('retrieval', 32)} ${ks.map((k) => pad(k, 7)).join('')}median  mean rank`);
  for (const dir of ['i2t', 't2i'] as const) {
    const s = r[dir];
    out.push(
      `  ${pad(dir === 'i2t' ? '  image → text' : '  text → image', 32)} ${ks.map((k) => pad(s[k].toFixed(1), 7)).join('')}${pad(String(s.median_rank), 8)}${s.mean_rank.toFixed(2)}`,
    );
  }
  const { image, text } = r.input_norms;
  out.push(`  input norms: image ${image.min.toFixed(3)}–${image.max.toFixed(3)}, text ${text.min.toFixed(3)}–${text.max.toFixed(3)}`);
  return out.join('\n');
}
