/**
 * WCAG 2 contrast of every visible text element against what is really behind it, computed in the
 * page from computed styles: translucent backgrounds and colours are composited over their
 * ancestors' (down to the page's), and ancestor opacity fades the text toward its background.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { resultsDir, type PanelPage } from './panelHarness';
import { allThemes, type TestTheme } from './themeVars';

/** One text element below its threshold: 4.5:1, or 3:1 for large text (WCAG AA). */
export interface ContrastFailure {
  element: string;
  text: string;
  ratio: number;
  required: number;
  foreground: string;
  background: string;
}

export function lowContrastText(page: Page): Promise<ContrastFailure[]> {
  return page.evaluate(() => {
    type Rgba = [number, number, number, number];
    // Chromium writes computed colours as rgb()/rgba(), and color-mix() results as color(srgb r g b / a) in 0–1.
    const parse = (c: string): Rgba => {
      const srgb = c.match(/color\(srgb ([^)]+)\)/);
      if (srgb) {
        const [r, g, b, a = 1] = srgb[1].split(/[ /]+/).filter(Boolean).map(Number);
        return [255 * r, 255 * g, 255 * b, a];
      }
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return [0, 0, 0, 0];
      const [r, g, b, a = 1] = m[1]
        .split(/[ ,/]+/)
        .filter(Boolean)
        .map(Number);
      return [r, g, b, a];
    };
    const over = (top: Rgba, under: Rgba): Rgba => {
      const a = top[3];
      return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1) as Rgba;
    };
    const luminance = (c: Rgba) => {
      const lin = c.slice(0, 3).map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4));
      return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
    };
    const css = (c: Rgba) => `rgb(${c.slice(0, 3).map(Math.round).join(', ')})`;
    /** Ancestors from the root down to `el`, as the browser paints them. */
    const chain = (el: Element) => {
      const out: Element[] = [];
      for (let n: Element | null = el; n; n = n.parentElement) out.unshift(n);
      return out;
    };
    const background = (el: Element): Rgba =>
      chain(el).reduce<Rgba>((under, n) => over(parse(getComputedStyle(n).backgroundColor), under), [255, 255, 255, 1]);
    const opacity = (el: Element) => chain(el).reduce((o, n) => o * Number(getComputedStyle(n).opacity), 1);

    const failures: ContrastFailure[] = [];
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      const text = Array.from(el.childNodes)
        .filter((n) => n.nodeType === Node.TEXT_NODE)
        .map((n) => n.textContent ?? '')
        .join('')
        .trim();
      // The vscode-* elements draw their own text and background inside their shadow roots (VS Code's button colours).
      if (!text || el.closest('[class*="visually-hidden"]') || /^VSCODE-/.test(el.tagName) || el.tagName === 'OPTION')
        continue;
      const rect = el.getBoundingClientRect();
      if (rect.width <= 1 || rect.height <= 1 || !el.checkVisibility({ visibilityProperty: true })) continue;
      const style = getComputedStyle(el);
      const bg = background(el);
      const fg = parse(style.color);
      const shown = over([fg[0], fg[1], fg[2], fg[3] * opacity(el)], bg);
      const [hi, lo] = [luminance(shown), luminance(bg)].sort((a, b) => b - a);
      const ratio = (hi + 0.05) / (lo + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      const required = large ? 3 : 4.5;
      if (ratio < required) {
        failures.push({
          element: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className}`,
          text: text.slice(0, 40),
          ratio: Math.round(ratio * 100) / 100,
          required,
          foreground: css(shown),
          background: css(bg),
        });
      }
    }
    return failures;
  });
}

/** Switches the page's theme the way VS Code does: new variables on <html>, a new class on <body>. */
export async function applyTheme(panel: PanelPage, theme: TestTheme): Promise<void> {
  await panel.page.evaluate((t) => {
    for (const [k, v] of Object.entries(t.vars)) document.documentElement.style.setProperty(k, v);
    document.body.className = t.bodyClass;
  }, theme);
  await panel.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(undefined))));
}

/** Screenshots the page in each theme and fails on any text below WCAG AA contrast, naming each pair. */
export async function checkContrastInEveryTheme(panel: PanelPage, view: string): Promise<void> {
  const failures: string[] = [];
  for (const [name, theme] of Object.entries(allThemes)) {
    await applyTheme(panel, theme);
    await panel.page.screenshot({ path: path.join(resultsDir, `a11y-${view}-${name}.png`), fullPage: true });
    for (const f of await lowContrastText(panel.page))
      failures.push(
        `${name}: ${f.element} "${f.text}" ${f.foreground} on ${f.background} = ${f.ratio}:1 < ${f.required}:1`,
      );
  }
  assert.deepEqual(failures, []);
}
