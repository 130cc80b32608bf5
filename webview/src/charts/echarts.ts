/** The parts of ECharts the panel draws with, and nothing else (keeps the bundle small). */
import { CustomChart, LinesChart, ScatterChart } from 'echarts/charts';
import type { CustomSeriesOption, LinesSeriesOption, ScatterSeriesOption } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import type { GridComponentOption, LegendComponentOption, TooltipComponentOption } from 'echarts/components';
import { use, type ComposeOption } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

use([ScatterChart, LinesChart, CustomChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export type ChartOption = ComposeOption<
  ScatterSeriesOption | LinesSeriesOption | CustomSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption
>;
