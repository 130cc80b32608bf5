import type { AnalysisSnapshot } from '../../../src/protocol/analysisPanel';
import { formatMetric } from '../format';
import type { Palette } from '../theme';
import { baseOption, valueAxis } from './chartStyle';
import type { ChartOption } from './echarts';

/**
 * ECE of image queries against the softmax temperature (log axis), the tau in use marked; R@1 on
 * a second axis for scale. The argmax does not depend on tau, so R@1 is flat by construction.
 */
export function calibrationOption(s: AnalysisSnapshot, p: Palette): ChartOption {
  const t = s.temperature;
  const r1 = s.metrics.i2t['R@1'];
  const base = baseOption(p);
  const x = valueAxis(p, 'softmax temperature τ (log scale)', { min: t.taus[0], max: t.taus[t.taus.length - 1] });
  return {
    ...base,
    grid: { ...base.grid, right: 56 },
    tooltip: { ...base.tooltip, trigger: 'axis' },
    xAxis: { ...x, type: 'log', logBase: 10 },
    yAxis: [
      valueAxis(p, 'ECE', { min: 0, nameGap: 40 }),
      { ...valueAxis(p, 'R@1 (%)', { min: 0, max: 100, nameGap: 36 }), splitLine: { show: false } },
    ],
    series: [
      {
        type: 'line',
        name: 'ECE',
        data: t.taus.map((tau, i) => [tau, t.ece[i]]),
        showSymbol: true,
        symbolSize: 4,
        itemStyle: { color: p.bars },
        lineStyle: { color: p.bars, width: 2 },
        markLine: {
          silent: true,
          symbol: 'none',
          label: { color: p.muted, position: 'insideEndTop', formatter: `τ in use ${t.tau}` },
          lineStyle: { color: p.muted, type: 'dashed' },
          data: [{ xAxis: t.tau }],
        },
      },
      {
        type: 'line',
        name: 'R@1 (independent of τ)',
        yAxisIndex: 1,
        data: [
          [t.taus[0], r1],
          [t.taus[t.taus.length - 1], r1],
        ],
        showSymbol: false,
        itemStyle: { color: p.positive },
        lineStyle: { color: p.positive, width: 1.5, type: 'dotted' },
      },
    ],
  };
}

/** Said under the chart: where the minimum lies, the sample, and why R@1 is flat. */
export function calibrationNote(s: AnalysisSnapshot): string {
  const t = s.temperature;
  let best = 0;
  for (let i = 1; i < t.ece.length; i++) if (t.ece[i] < t.ece[best]) best = i;
  const sample = t.queries < t.total ? ` from a seeded sample of ${t.queries} of ${t.total} image queries` : '';
  return (
    `ECE of image → text retrieval against τ${sample}; lowest ${formatMetric(t.ece[best], false)} at τ = ${t.taus[best].toPrecision(2)}. ` +
    'R@1 does not depend on τ (the argmax does not move), so its line is flat.'
  );
}
