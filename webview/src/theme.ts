/** Colours and font of the current VS Code theme, read from its CSS variables when a chart draws. */
export interface Palette {
  foreground: string;
  muted: string;
  background: string;
  gridLine: string;
  image: string;
  text: string;
  positive: string;
  negative: string;
  bars: string;
  fontFamily: string;
  fontSize: number;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(name).trim() || fallback;
}

export function readPalette(): Palette {
  const s = getComputedStyle(document.documentElement);
  const foreground = cssVar(s, '--vscode-editor-foreground', cssVar(s, '--vscode-foreground', '#cccccc'));
  return {
    foreground,
    muted: cssVar(s, '--vscode-descriptionForeground', foreground),
    background: cssVar(s, '--vscode-editor-background', '#1e1e1e'),
    gridLine: cssVar(s, '--vscode-editorWidget-border', cssVar(s, '--vscode-panel-border', '#80808040')),
    image: cssVar(s, '--vscode-charts-blue', '#3794ff'),
    text: cssVar(s, '--vscode-charts-orange', '#d18616'),
    positive: cssVar(s, '--vscode-charts-green', '#89d185'),
    negative: cssVar(s, '--vscode-charts-red', '#f14c4c'),
    bars: cssVar(s, '--vscode-charts-purple', '#b180d7'),
    fontFamily: cssVar(s, '--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: parseFloat(cssVar(s, '--vscode-font-size', '13')) || 13,
  };
}

/** VS Code swaps body's vscode-light / vscode-dark / vscode-high-contrast class on a theme change. */
export function onThemeChange(callback: () => void): void {
  new MutationObserver(callback).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}
