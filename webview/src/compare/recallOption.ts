import type { CompareSnapshot } from '../../../src/protocol/comparePanel';
import { baseOption, valueAxis } from '../charts/chartStyle';
import type { Palette } from '../theme';
import type { CompareChartOption } from './compareEcharts';
import { checkpointColors } from './seriesColors';

export const recallKeys = ['i2t.R@1', 'i2t.R@5', 'i2t.R@10', 't2i.R@1', 't2i.R@5', 't2i.R@10'];

/** R@K grouped by K and direction, one bar per checkpoint. */
export function recallOption(s: CompareSnapshot, p: Palette): CompareChartOption {
  const colors = checkpointColors(p);
  const rows = recallKeys.map((k) => s.rows.find((r) => r.key === k)!);
  const base = baseOption(p);
  return {
    ...base,
    grid: { left: 56, right: 20, top: 16 + 22 * Math.ceil(s.checkpoints.length / 4), bottom: 48 },
    tooltip: { ...base.tooltip, trigger: 'axis', valueFormatter: (v: unknown) => `${(v as number).toFixed(1)}%` },
    xAxis: {
      type: 'category',
      data: recallKeys.map((k) => k.replace('i2t.', 'image → text ').replace('t2i.', 'text → image ')),
      axisLabel: { color: p.muted, interval: 0 },
      axisLine: { lineStyle: { color: p.gridLine } },
    },
    yAxis: valueAxis(p, 'recall (%)', { min: 0, max: 100, nameGap: 40 }),
    series: s.checkpoints.map((c, i) => ({
      type: 'bar' as const,
      name: c.name,
      data: rows.map((r) => r.values[i]),
      itemStyle: { color: colors[i] },
    })),
  };
}
