import type { SharedHistograms } from '../../../src/protocol/comparePanel';
import { baseOption, valueAxis } from '../charts/chartStyle';
import type { Palette } from '../theme';
import type { CompareChartOption } from './compareEcharts';
import { checkpointColors } from './seriesColors';

/**
 * Every checkpoint's positive (solid) and hardest-negative (dashed) similarities as step lines on
 * shared bins: filled bars of several checkpoints would hide one another.
 */
export function histogramsOption(h: SharedHistograms, names: string[], p: Palette): CompareChartOption {
  const colors = checkpointColors(p);
  const centres = h.edges.slice(0, -1).map((e, i) => (e + h.edges[i + 1]) / 2);
  // Both lines of a checkpoint share its name, so its one legend entry shows or hides the pair.
  const line = (name: string, counts: number[], color: string, dashed: boolean) => ({
    type: 'line' as const,
    name,
    data: counts.map((c, i) => [centres[i], c]),
    step: 'middle' as const,
    showSymbol: false,
    lineStyle: { color, width: 1.5, type: dashed ? ('dashed' as const) : ('solid' as const) },
    itemStyle: { color },
  });
  const base = baseOption(p);
  return {
    ...base,
    grid: { left: 56, right: 20, top: 16 + 22 * Math.ceil(names.length / 3), bottom: 48 },
    tooltip: {
      ...base.tooltip,
      trigger: 'axis',
      formatter: (params: unknown) => {
        const items = params as { seriesName: string; seriesIndex: number; value: [number, number] }[];
        const head = items.length ? `cosine ≈ ${items[0].value[0].toFixed(3)}` : '';
        return [
          head,
          ...items.map((i) => `${i.seriesName} ${i.seriesIndex % 2 ? 'hardest negative' : 'positive'}: ${i.value[1]}`),
        ].join('\n');
      },
    },
    xAxis: valueAxis(p, 'cosine similarity', { min: h.edges[0], max: h.edges[h.edges.length - 1] }),
    yAxis: valueAxis(p, 'count', { nameGap: 40 }),
    series: names.flatMap((n, i) => [
      line(n, h.positive[i], colors[i], false),
      line(n, h.hardestNegative[i], colors[i], true),
    ]),
  };
}
