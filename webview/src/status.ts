import type { Layout } from './layout';

/** The activity strip: a running analysis (bar, message, Cancel) or the last error (one line). */
export function showProgress(l: Layout, fraction: number, message: string): void {
  l.activity.hidden = false;
  l.activity.className = 'activity running';
  l.progressBar.hidden = false;
  l.progressBar.value = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  l.statusIcon.className = 'codicon codicon-loading codicon-modifier-spin';
  l.status.textContent = `${message || 'Analysing'} — ${l.progressBar.value}%`;
  l.cancel.hidden = false;
}

export function showError(l: Layout, message: string): void {
  l.activity.hidden = false;
  l.activity.className = 'activity banner error';
  l.progressBar.hidden = true;
  l.statusIcon.className = 'codicon codicon-error';
  l.status.textContent = message.replace(/\s*\n\s*/g, ' ').trim();
  l.cancel.hidden = true;
}

export function hideActivity(l: Layout): void {
  l.activity.hidden = true;
}
