import type { ProgressFn } from '../core/util/cancel';

/** A one-line progress bar on stderr when it is a terminal; silent otherwise (scripts, CI). */
export function terminalProgress(label: string): { report: ProgressFn; done(): void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  return {
    report(fraction, message) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100 && fraction < 1) return;
      last = now;
      const width = 24;
      const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
      process.stderr.write(
        `\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${message ?? ''}\x1b[K`,
      );
    },
    done() {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}
