import type { ChartInfo, HostToViewExport, ImageFormat, ViewToHostExport } from '../../../src/protocol/export';
import { button, type VscodeButton } from '../pageParts';

export interface ImageButton {
  chart: string;
  format: ImageFormat;
  button: VscodeButton;
}

const formats: readonly ImageFormat[] = ['png', 'svg'];

/** A chart's PNG and SVG buttons (ids export-png-NAME, export-svg-NAME), collected into `all`. */
export function imageButtons(chart: ChartInfo, all: ImageButton[]): VscodeButton[] {
  return formats.map((format) => {
    const b = button(`export-${format}-${chart.id}`, 'device-camera', format.toUpperCase(), true);
    b.title = `Save this chart as ${format.toUpperCase()}`;
    all.push({ chart: chart.id, format, button: b });
    return b;
  });
}

/**
 * Sends a chart to the host as an image when its button is clicked, and answers the host's
 * exportChart (the export commands) the same way. Returns the handler for that host message.
 */
export function wireChartExport<Name extends string>(
  charts: { exportImage(name: Name, format: ImageFormat): string | undefined },
  buttons: ImageButton[],
  post: (m: ViewToHostExport) => void,
): (m: HostToViewExport) => void {
  // An unknown name finds no chart instance, so it exports as '' (nothing drawn).
  const draw = (chart: string, format: ImageFormat) =>
    (formats.includes(format) ? charts.exportImage(chart as Name, format) : undefined) ?? '';
  for (const { chart, format, button } of buttons) {
    button.addEventListener('click', () => {
      const data = draw(chart, format);
      if (data) post({ type: 'exportImage', chart, format, data });
    });
  }
  return (m) =>
    post({ type: 'exportImage', chart: m.chart, format: m.format, data: draw(m.chart, m.format), request: m.request });
}
