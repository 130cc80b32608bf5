/** `embedding-lens compare A B [C…]`: the compare view's metrics table, in the terminal or as JSON. */
import type { SharedCancelToken } from '../core/util/cancel';
import { analyzeCheckpoints } from '../snapshots/compare/analyzeCheckpoints';
import { buildCompareSnapshot } from '../snapshots/compare/compareSnapshot';
import { metricsJson } from '../snapshots/compare/metricsExport';
import { maxCompared, minCompared, type CompareSnapshot, type MetricRow } from '../protocol/comparePanel';
import { numberOption, parseArgs, rejectUnknown, UsageError, type ParsedArgs } from './args';
import { compareSuitesCommand, comparesSuites } from './compareSuites';
import { terminalProgress } from './progress';
import { engineFrom } from './analyzeTorch';
import { pythonFrom } from './torchOptions';
import { chooseAnalysisEngine } from '../core/torch/analysis';
import { compareOnTorch } from '../snapshots/compare/compareOnTorch';

export const compareUsage = `  embedding-lens compare A B [C…] [--json] [--baseline K] [--memory-mb 512] [--backend NAME] [--engine auto|tfjs|torch] [--python PATH]
                 compare ${minCompared} to ${maxCompared} checkpoints; K: the baseline's position (1 = first) or its file
  embedding-lens compare A.suite.json B.suite.json [C…] [--json]
                 checkpoints as suites: each set's accuracy and the robustness table (ID top-1 vs mean shifted top-1)`;

/** --baseline: a 1-based position or one of the files as given; the first by default. */
function baselineIndex(args: ParsedArgs): number {
  const v = args.options.get('baseline');
  if (v === undefined) return 0;
  const byFile = args.positional.indexOf(String(v));
  if (byFile >= 0) return byFile;
  const k = Number(v);
  if (!Number.isInteger(k) || k < 1 || k > args.positional.length) {
    throw new UsageError(`--baseline must be 1 to ${args.positional.length} or one of the files, got ${String(v)}`);
  }
  return k - 1;
}

function value(r: MetricRow, i: number): string {
  const v = r.values[i];
  return Number.isFinite(v) ? v.toFixed(r.decimals) : '—';
}

const marks = { better: ' better', worse: ' worse', same: '', baseline: '' };

function delta(r: MetricRow, i: number): string {
  const d = r.deltas[i];
  if (r.verdicts[i] === 'baseline') return '(baseline)';
  if (!Number.isFinite(d)) return '';
  return `(${d >= 0 ? '+' : ''}${d.toFixed(r.decimals)}${marks[r.verdicts[i]]})`;
}

/** Label column, then per checkpoint its value and its delta against the baseline. */
export function formatComparison(s: CompareSnapshot): string {
  const cells = s.rows.map((r) => [
    `${r.label} ${r.better === 'lower' ? '↓' : '↑'}`,
    ...s.checkpoints.map((_, i) => `${value(r, i)} ${delta(r, i)}`),
  ]);
  const header = ['metric', ...s.checkpoints.map((c) => c.name)];
  const widths = header.map((h, col) => Math.max(h.length, ...cells.map((row) => row[col].length)));
  const line = (row: string[]) =>
    row
      .map((c, col) => c.padEnd(widths[col]))
      .join('  ')
      .trimEnd();
  const out = [
    `baseline: ${s.checkpoints[s.baseline].name}; ↓ lower is better, ↑ higher is better (${s.seconds.toFixed(2)} s on ${s.backend})`,
    line(header),
    ...cells.map(line),
  ];
  for (const note of s.notComparable) out.push(`note: ${note}`);
  return out.join('\n');
}

export async function compareCommand(
  argv: string[],
  token: SharedCancelToken,
  backendOf: (args: ParsedArgs) => Promise<string>,
): Promise<number> {
  const args = parseArgs(argv, ['json', 'tf32']);
  rejectUnknown(args, ['json', 'baseline', 'memory-mb', 'backend', 'engine', 'python', 'tf32']);
  const n = args.positional.length;
  if (n < minCompared || n > maxCompared)
    throw new UsageError(`compare takes ${minCompared} to ${maxCompared} checkpoint files, got ${n}`);
  const baseline = baselineIndex(args);
  const python = pythonFrom(args);
  const engine = await chooseAnalysisEngine(engineFrom(args), args.positional, python);
  if (engine.engine === 'tfjs' && engine.note) process.stderr.write(`note: ${engine.note}\n`);
  const backend = engine.engine === 'torch' ? '' : await backendOf(args);
  if (engine.engine === 'tfjs' && (await comparesSuites(args.positional)))
    return compareSuitesCommand(args, token, backend);
  const progress = terminalProgress('compare');
  const settings = { uniformityT: 2, ks: [1, 5, 10], eceTau: 0.01, imageKeys: [], textKeys: [] };
  const sets = args.positional.map((f) => [f]);
  const data =
    engine.engine === 'torch'
      ? await compareOnTorch(
          sets,
          { ...settings, tf32: args.options.has('tf32') },
          { python, info: engine.info },
          token,
          progress.report,
        )
      : await analyzeCheckpoints(
          sets,
          { ...settings, memoryBudgetMB: numberOption(args, 'memory-mb', 512, 1, 1 << 20) },
          backend,
          token,
          progress.report,
        );
  progress.done();
  for (const c of data.checkpoints) for (const w of c.warnings) process.stderr.write(`warning: ${c.name}: ${w}\n`);
  const snapshot = buildCompareSnapshot(data, baseline);
  process.stdout.write(
    (args.options.has('json') ? JSON.stringify(metricsJson(snapshot), null, 1) : formatComparison(snapshot)) + '\n',
  );
  return 0;
}
