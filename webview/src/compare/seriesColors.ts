import type { Palette } from '../theme';

/**
 * One theme colour per checkpoint, in order. Green and red come last: the table uses them for
 * better/worse, and the first checkpoints (the usual baseline) should not read as a verdict.
 */
export function checkpointColors(p: Palette): string[] {
  const yellow =
    getComputedStyle(document.documentElement).getPropertyValue('--vscode-charts-yellow').trim() || '#cca700';
  return [p.image, p.text, p.bars, yellow, p.positive, p.negative, p.foreground, p.muted];
}
