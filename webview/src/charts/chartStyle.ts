import type { ChartOption } from './echarts';
import type { Palette } from '../theme';

/** Settings every chart shares: theme font and colours, a canvas (CSP-safe) tooltip. */
export function baseOption(p: Palette): ChartOption {
  return {
    animation: false,
    backgroundColor: 'transparent',
    textStyle: { fontFamily: p.fontFamily, fontSize: p.fontSize - 1, color: p.foreground },
    grid: { left: 56, right: 20, top: 36, bottom: 48 },
    legend: { top: 0, textStyle: { color: p.foreground, fontFamily: p.fontFamily }, inactiveColor: p.muted },
    tooltip: {
      renderMode: 'richText',
      backgroundColor: p.background,
      borderColor: p.gridLine,
      textStyle: { color: p.foreground, fontFamily: p.fontFamily, fontSize: p.fontSize - 1 },
    },
  };
}

export function valueAxis(
  p: Palette,
  name: string,
  extra: { min?: number; max?: number; nameGap?: number; scale?: boolean } = {},
) {
  return {
    type: 'value' as const,
    name,
    nameLocation: 'middle' as const,
    nameGap: 28,
    nameTextStyle: { color: p.muted },
    axisLine: { lineStyle: { color: p.gridLine } },
    axisTick: { lineStyle: { color: p.gridLine } },
    axisLabel: { color: p.muted },
    splitLine: { lineStyle: { color: p.gridLine, opacity: 0.5 } },
    ...extra,
  };
}
