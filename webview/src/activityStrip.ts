import type { PageTop, VscodeButton } from './pageParts';

/** The activity strip's parts: the analysis and compare pages both build it with a Cancel button. */
type Activity = Pick<PageTop, 'activity' | 'progressBar' | 'statusIcon' | 'status'> & { cancel: VscodeButton };

/** The activity strip: a running analysis (bar, message, Cancel) or the last error (one line). */
export function showProgress(strip: Activity, fraction: number, message: string): void {
  strip.activity.hidden = false;
  strip.activity.className = 'activity running';
  strip.progressBar.hidden = false;
  strip.progressBar.value = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  strip.statusIcon.className = 'codicon codicon-loading codicon-modifier-spin';
  strip.status.textContent = `${message || 'Analysing'} — ${strip.progressBar.value}%`;
  strip.cancel.hidden = false;
}

export function showError(strip: Activity, message: string): void {
  strip.activity.hidden = false;
  strip.activity.className = 'activity banner error';
  strip.progressBar.hidden = true;
  strip.statusIcon.className = 'codicon codicon-error';
  strip.status.textContent = message.replace(/\s*\n\s*/g, ' ').trim();
  strip.cancel.hidden = true;
}

export function hideActivity(strip: Activity): void {
  strip.activity.hidden = true;
}
