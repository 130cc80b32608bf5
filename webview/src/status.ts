import type { Layout } from './layout';

/** The activity strip's parts; the compare view has the same strip. */
type Activity = Pick<Layout, 'activity' | 'progressBar' | 'statusIcon' | 'status' | 'cancel'>;

/** The activity strip: a running analysis (bar, message, Cancel) or the last error (one line). */
export function showProgress(l: Activity, fraction: number, message: string): void {
  l.activity.hidden = false;
  l.activity.className = 'activity running';
  l.progressBar.hidden = false;
  l.progressBar.value = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  l.statusIcon.className = 'codicon codicon-loading codicon-modifier-spin';
  l.status.textContent = `${message || 'Analysing'} — ${l.progressBar.value}%`;
  l.cancel.hidden = false;
}

export function showError(l: Activity, message: string): void {
  l.activity.hidden = false;
  l.activity.className = 'activity banner error';
  l.progressBar.hidden = true;
  l.statusIcon.className = 'codicon codicon-error';
  l.status.textContent = message.replace(/\s*\n\s*/g, ' ').trim();
  l.cancel.hidden = true;
}

export function hideActivity(l: Activity): void {
  l.activity.hidden = true;
}
