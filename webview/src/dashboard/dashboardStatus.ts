import type { DashboardSnapshot } from '../../../src/protocol/dashboard';
import type { DashboardLayout } from './dashboardLayout';

const icons: Record<DashboardSnapshot['status'], string> = {
  idle: 'codicon-circle-large-outline',
  starting: 'codicon-loading codicon-modifier-spin',
  running: 'codicon-loading codicon-modifier-spin',
  completed: 'codicon-pass',
  cancelled: 'codicon-circle-slash',
  diverged: 'codicon-warning',
  failed: 'codicon-error',
};

function statusLine(s: DashboardSnapshot): string {
  const steps = s.totalSteps > 0 ? `step ${s.step} of ${s.totalSteps}` : '';
  switch (s.status) {
    case 'idle':
      return s.message ?? 'Not run yet.';
    case 'starting':
      return s.engine?.engine === 'torch'
        ? 'Starting: launching the torch engine, loading the model and measuring epoch 0…'
        : 'Starting: reading the embeddings and measuring epoch 0…';
    case 'running':
      return `Running — ${steps} (${Math.floor((100 * s.step) / Math.max(1, s.totalSteps))}%)`;
    case 'completed':
      return `Completed — ${plural(s.totalSteps || s.step, 'step')}, ${plural(s.epochs, 'epoch')}.`;
    default:
      // cancelled, diverged, failed: the host's one-line reason.
      return `${s.status[0].toUpperCase()}${s.status.slice(1)}${s.message ? ` — ${s.message.replace(/\s*\n\s*/g, ' ')}` : ''}`;
  }
}

/** The status strip and the buttons that depend on the run's state. */
export function renderStatus(l: DashboardLayout, s: DashboardSnapshot): void {
  const live = s.status === 'running' || s.status === 'starting';
  l.activity.dataset.status = s.status;
  l.activity.className = `activity status-${s.status}${s.status === 'diverged' || s.status === 'failed' ? ' banner error' : ''}`;
  l.statusIcon.className = `codicon ${icons[s.status]}`;
  l.status.textContent = statusLine(s);
  l.progressBar.hidden = !live;
  l.progressBar.indeterminate = s.status === 'starting';
  l.progressBar.value = s.totalSteps > 0 ? Math.round((100 * s.step) / s.totalSteps) : 0;
  l.cancel.hidden = !live;
  l.run.hidden = live;
  l.openBest.disabled = s.bestCheckpoint === undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
