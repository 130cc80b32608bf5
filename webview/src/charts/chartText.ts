/**
 * The text alternative of a chart, read from the same ECharts option it is drawn from, so it can
 * never disagree with the picture: a one-paragraph summary (the chart's aria-label and description)
 * and, for series small enough to read (bins, bars, checkpoints), their data as a table.
 */
import type { EChartsCoreOption } from 'echarts/core';
import { el } from '../dom';

/** Series with more points than this (scatter clouds) are summarised by count and range only. */
const tabulatedPoints = 60;

interface Axis {
  type?: string;
  name?: string;
  data?: unknown[];
}

interface Series {
  type?: string;
  name?: string;
  data?: unknown[];
  encode?: { x?: number | number[]; y?: number | number[] };
}

const first = <T>(a: T | T[] | undefined): T | undefined => (Array.isArray(a) ? a[0] : a);

function numbers(item: unknown): number[] | undefined {
  if (typeof item === 'number') return [item];
  if (Array.isArray(item)) return item.every((v) => typeof v === 'number') ? (item as number[]) : undefined;
  if (item && typeof item === 'object' && 'value' in item) return numbers((item as { value: unknown }).value);
  return undefined;
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(3));

/** One point as [x, y] text: a category's label, a bin's range, or the value itself. */
function cells(values: number[], index: number, s: Series, x: Axis | undefined, y: Axis | undefined): [string, string] {
  const label = (axis: Axis | undefined) => String(axis?.data?.[index] ?? index + 1);
  if (values.length === 1) return y?.type === 'category' ? [fmt(values[0]), label(y)] : [label(x), fmt(values[0])];
  const ex = s.encode?.x;
  const xText =
    Array.isArray(ex) && ex.length === 2
      ? `${fmt(values[ex[0]])} – ${fmt(values[ex[1]])}`
      : fmt(values[typeof ex === 'number' ? ex : 0]);
  const ey = first(s.encode?.y);
  return [xText, fmt(values[typeof ey === 'number' ? ey : 1])];
}

/** A loop, not Math.min(...v): a 100,000-point cloud would overflow the argument list. */
function range(points: number[][], i: number): string {
  let [lo, hi] = [Infinity, -Infinity];
  for (const p of points) if (Number.isFinite(p[i])) [lo, hi] = [Math.min(lo, p[i]), Math.max(hi, p[i])];
  return lo <= hi ? `${fmt(lo)} to ${fmt(hi)}` : 'none';
}

export interface ChartText {
  summary: string;
  table?: HTMLTableElement;
}

export function chartText(title: string, option: EChartsCoreOption): ChartText {
  const x = first(option.xAxis as Axis | Axis[] | undefined);
  const y = first(option.yAxis as Axis | Axis[] | undefined);
  const axisName = (a: Axis | undefined, fallback: string) => a?.name || fallback;
  const parts: string[] = [];
  const rows: HTMLElement[] = [];
  for (const s of (option.series as Series[] | undefined) ?? []) {
    const points = (s.data ?? []).map(numbers).filter((p): p is number[] => p !== undefined);
    if (!s.name || points.length === 0) continue;
    if (points.length > tabulatedPoints) {
      parts.push(
        `${s.name}: ${points.length.toLocaleString('en-US')} points, ${axisName(x, 'x')} ${range(points, 0)}, ${axisName(y, 'y')} ${range(points, 1)}`,
      );
      continue;
    }
    parts.push(`${s.name}: ${points.length} ${points.length === 1 ? 'value' : 'values'}`);
    points.forEach((p, i) =>
      rows.push(
        el(
          'tr',
          {},
          el('th', { scope: 'row' }, s.name!),
          ...cells(p, i, s, x, y).map((c) => el('td', { class: 'num' }, c)),
        ),
      ),
    );
  }
  const axes = x?.name || y?.name ? ` Axes: ${axisName(x, 'x')} against ${axisName(y, 'y')}.` : '';
  const summary = `${title}.${axes} ${parts.length ? parts.join('; ') : 'Nothing drawn'}.`;
  if (rows.length === 0) return { summary };
  const head = el(
    'tr',
    {},
    ...['Series', axisName(x, 'x'), axisName(y, 'y')].map((h) => el('th', { scope: 'col' }, h)),
  );
  return { summary, table: el('table', { class: 'data-table' }, el('thead', {}, head), el('tbody', {}, ...rows)) };
}

/** Writes the text alternative beside the chart (pageParts.chartPanel made the places for it). */
export function describeChart(container: HTMLElement, option: EChartsCoreOption): void {
  const figure = container.closest('figure');
  const title = figure?.querySelector('h2')?.textContent ?? '';
  const text = chartText(title, option);
  container.setAttribute('aria-label', text.summary);
  const summary = figure?.querySelector('.chart-summary');
  if (summary) summary.textContent = text.summary;
  figure?.querySelector('.chart-table')?.replaceChildren(...(text.table ? [text.table] : []));
}
