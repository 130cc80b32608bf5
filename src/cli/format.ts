import type { AnalysisResult } from '../core/metrics/types';

type Key =
  | 'uniformity'
  | 'uniformity_image'
  | 'uniformity_text'
  | 'alignment'
  | 'hardest_negative_alignment_i2t'
  | 'hardest_negative_alignment_t2i'
  | 'modality_gap'
  | 'ece';

const rows: [string, Key, string][] = [
  ['uniformity (image ∪ text)', 'uniformity', 'lower is more uniform'],
  ['uniformity (image)', 'uniformity_image', 'lower is more uniform'],
  ['uniformity (text)', 'uniformity_text', 'lower is more uniform'],
  ['alignment', 'alignment', 'lower is better'],
  ['hardest-negative alignment i2t', 'hardest_negative_alignment_i2t', 'lower is better'],
  ['hardest-negative alignment t2i', 'hardest_negative_alignment_t2i', 'lower is better'],
  ['modality gap', 'modality_gap', 'distance of the modality means'],
  ['ECE (i2t)', 'ece', 'lower is better calibrated'],
];

/** The value, with "± SE (sample of K pairs)" where sampled mode estimated it ("exact" where its sample took every pair). */
function value(r: AnalysisResult, key: Key): string {
  const e = r.estimates?.[key];
  const v = r[key].toFixed(4);
  if (!e) return v;
  return e.standard_error === 0
    ? `${v} (exact: all ${e.sample_pairs} pairs)`
    : `${v} ± ${e.standard_error.toFixed(4)} (sample of ${e.sample_pairs} pairs)`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** The readable table `analyze` prints without --json. */
export function formatResult(file: string, r: AnalysisResult, seconds: number, backend: string): string {
  const out: string[] = [];
  out.push(`${file}: ${r.n_image} images, ${r.n_text} texts, ${r.dim} dims (${seconds.toFixed(2)} s on ${backend})`);
  for (const [name, key, hint] of rows) out.push(`  ${pad(name, 32)} ${pad(value(r, key), 10)} ${hint}`);
  const ks = Object.keys(r.i2t).filter((k) => k.startsWith('R@'));
  out.push(`  ${pad('retrieval', 32)} ${ks.map((k) => pad(k, 7)).join('')}median  mean rank`);
  for (const dir of ['i2t', 't2i'] as const) {
    const s = r[dir];
    out.push(
      `  ${pad(dir === 'i2t' ? '  image → text' : '  text → image', 32)} ${ks.map((k) => pad(s[k].toFixed(1), 7)).join('')}${pad(String(s.median_rank), 8)}${s.mean_rank.toFixed(2)}`,
    );
  }
  const { image, text } = r.input_norms;
  out.push(
    `  input norms: image ${image.min.toFixed(3)}–${image.max.toFixed(3)}, text ${text.min.toFixed(3)}–${text.max.toFixed(3)}`,
  );
  return out.join('\n');
}
