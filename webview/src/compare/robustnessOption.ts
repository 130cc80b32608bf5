import { logitOfPercent } from '../../../src/core/classification/robustness';
import type { SuiteCompareSnapshot } from '../../../src/protocol/comparePanel';
import { baseOption, valueAxis } from '../charts/chartStyle';
import type { Palette } from '../theme';
import type { CompareChartOption } from './compareEcharts';
import { formatLogitTick, logitScale } from './logitAxis';
import { checkpointColors } from './seriesColors';

/**
 * The robustness plot of Taori et al. 2020: each checkpoint at (in-distribution top-1, mean top-1
 * under shift), both logit-scaled, with y = x (no drop under shift). Points above another's are
 * more robust at that accuracy; the baseline is the diamond.
 */
export function robustnessOption(s: SuiteCompareSnapshot, p: Palette): CompareChartOption {
  const colors = checkpointColors(p);
  const scale = logitScale(s.robustness.flatMap((r) => [r.inDistribution, r.oodMean]));
  const axis = (name: string, nameGap: number) => ({
    ...valueAxis(p, name, { min: scale.min, max: scale.max, nameGap }),
    axisTick: { lineStyle: { color: p.gridLine }, customValues: scale.ticks },
    axisLabel: { color: p.muted, customValues: scale.ticks, formatter: formatLogitTick },
  });
  const base = baseOption(p);
  return {
    ...base,
    grid: { left: 72, right: 24, top: 36, bottom: 52 },
    legend: { ...base.legend, show: false },
    tooltip: {
      ...base.tooltip,
      trigger: 'item',
      formatter: (params: unknown) => {
        const { seriesIndex } = params as { seriesIndex: number };
        const r = s.robustness[seriesIndex - 1];
        return r
          ? `${r.name}\nin-distribution top-1 ${r.inDistribution.toFixed(1)}%\nmean under shift ${r.oodMean.toFixed(1)}%`
          : 'y = x: no drop under shift';
      },
    },
    xAxis: axis('in-distribution top-1 accuracy (logit scale)', 30),
    yAxis: axis('mean top-1 under shift (logit scale)', 50),
    series: [
      {
        type: 'line',
        name: 'y = x',
        data: [
          [scale.min, scale.min],
          [scale.max, scale.max],
        ],
        showSymbol: false,
        lineStyle: { color: p.muted, type: 'dashed', width: 1 },
        itemStyle: { color: p.muted },
      },
      ...s.robustness.map((r, i) => ({
        type: 'scatter' as const,
        name: r.name,
        data: [[logitOfPercent(r.inDistribution), logitOfPercent(r.oodMean)]],
        symbolSize: i === s.baseline ? 16 : 12,
        symbol: i === s.baseline ? 'diamond' : 'circle',
        itemStyle: { color: colors[i] },
        labelLayout: { moveOverlap: 'shiftY' as const },
        label: {
          show: true,
          position: 'top' as const,
          formatter: r.name,
          color: p.foreground,
          fontFamily: p.fontFamily,
        },
      })),
    ],
  };
}
