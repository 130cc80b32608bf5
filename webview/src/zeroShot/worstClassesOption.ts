import type { ZeroShotAnalysis } from '../../../src/core/classification/types';
import { baseOption, valueAxis } from '../charts/chartStyle';
import type { ChartOption } from '../charts/echarts';
import type { Palette } from '../theme';
import { worstClasses } from './classes';

/** Room for a class name beside its bar; longer names are cut with an ellipsis (the tooltip has them whole). */
const labelWidth = 160;

/** The worst classes as horizontal bars, worst at the top, against the set's overall top-1. */
export function worstClassesOption(z: ZeroShotAnalysis, p: Palette): ChartOption {
  const rows = worstClasses(z);
  const base = baseOption(p);
  return {
    ...base,
    grid: { left: labelWidth + 16, right: 24, top: 28, bottom: 48 },
    legend: { ...base.legend, show: false },
    tooltip: {
      ...base.tooltip,
      trigger: 'item',
      formatter: (params: unknown) => {
        const row = rows[(params as { dataIndex: number }).dataIndex];
        return `${row.name} (class ${row.index})\ntop-1 ${row.accuracy.toFixed(1)}% of ${row.images} images`;
      },
    },
    xAxis: valueAxis(p, 'top-1 accuracy (%)', { min: 0, max: 100 }),
    yAxis: {
      type: 'category',
      inverse: true,
      data: rows.map((r) => r.name),
      axisLabel: { color: p.foreground, width: labelWidth, overflow: 'truncate', interval: 0 },
      axisLine: { lineStyle: { color: p.gridLine } },
      axisTick: { show: false },
    },
    series: [
      {
        type: 'bar',
        name: 'top-1 accuracy',
        data: rows.map((r) => r.accuracy),
        barMaxWidth: 18,
        itemStyle: { color: p.bars },
        markLine: {
          silent: true,
          symbol: 'none',
          // The category axis runs top-down (worst first), so the line starts at the top, where its label reads.
          label: { color: p.muted, position: 'start', formatter: `all classes ${z.result.top1.toFixed(1)}%` },
          lineStyle: { color: p.muted, type: 'dashed' },
          data: [{ xAxis: z.result.top1 }],
        },
      },
    ],
  };
}
