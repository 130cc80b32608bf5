import * as vscode from 'vscode';
import { CancelledError } from '../core/util/errors';

/** The two messages about its job that every view's page shows (the analysis and compare protocols both carry them). */
export type JobStatusToView =
  { type: 'progress'; fraction: number; message: string } | { type: 'error'; message: string };

/** How far a job is: `fraction` in [0, 1], and what it is doing now. */
export type JobProgress = (fraction: number, message?: string) => void;

/** One run of a view's job: what it does, and what the user sees of it. */
export interface ViewJob<T> {
  /** The progress notification's title, e.g. "Analyzing clip.npy". */
  title: string;
  /** What the page says when the user cancelled, e.g. "Analysis cancelled." */
  cancelledMessage: string;
  /** The work itself; it must stop when `token` is cancelled. */
  work(token: vscode.CancellationToken, onProgress: JobProgress): Promise<T>;
  /** Takes the result; runs while the notification still shows, and only when the job was not cancelled. */
  finish(result: T): void;
  /** Tells the user of a failure the page already shows; without it, an error notification. */
  reportFailure?(error: Error): void;
}

function showFailure(error: Error): void {
  void vscode.window.showErrorMessage(`Embedding Lens: ${error.message}`);
}

/**
 * The one job a view runs at a time (the analysis of its checkpoint, the comparison of its set).
 * Its progress goes both to a cancellable notification and to the page, and the notification's
 * Cancel, the page's Cancel (cancel()) and a newer run all stop it: the page only ever shows the
 * newest run.
 */
export class ViewJobRunner implements vscode.Disposable {
  private running: vscode.CancellationTokenSource | undefined;

  constructor(private readonly postToView: (message: JobStatusToView) => void) {}

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  cancel(): void {
    this.running?.cancel();
  }

  /** Cancels the job in progress, then runs `job`. Resolves to false when it failed or was cancelled (the page and a notification say which). */
  async run<T>(job: ViewJob<T>): Promise<boolean> {
    this.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.running = cts;
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: job.title, cancellable: true },
        async (progress, notificationToken) => {
          const notificationCancel = notificationToken.onCancellationRequested(() => cts.cancel());
          let reported = 0;
          const onProgress: JobProgress = (fraction, message) => {
            // The notification's bar takes increments; a job's fraction may step back, the bar never does.
            progress.report({ increment: Math.max(0, (fraction - reported) * 100), message });
            reported = Math.max(reported, fraction);
            this.postToView({ type: 'progress', fraction, message: message ?? '' });
          };
          const result = await job.work(cts.token, onProgress).finally(() => notificationCancel.dispose());
          if (cts.token.isCancellationRequested) throw new CancelledError();
          job.finish(result);
        },
      );
      return true;
    } catch (err) {
      const cancelled = err instanceof CancelledError;
      this.postToView({ type: 'error', message: cancelled ? job.cancelledMessage : (err as Error).message });
      if (!cancelled) (job.reportFailure ?? showFailure)(err as Error);
      return false;
    } finally {
      if (this.running === cts) this.running = undefined;
      cts.dispose();
    }
  }

  dispose(): void {
    this.cancel();
  }
}
