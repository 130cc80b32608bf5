import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import { CancelledError } from '../core/util/errors';
import type { RunEvent, RunSummary } from '../core/train/events';
import type { TorchAnalysisEngine } from '../core/analysis/analyzeFilesOnTorch';
import type { DosnesLayout, PanelSnapshot } from '../protocol/analysisPanel';
import type { AnyCompareData } from '../protocol/comparePanel';
import type {
  AnalyzeSettings,
  BackendPreference,
  BackendReport,
  DosnesInput,
  WorkerInit,
  WorkerReply,
  WorkerRequest,
} from '../protocol/worker';
import { Disposable } from './disposable';

/** event: the RunEvent behind a training job's progress reply. */
type Progress = (fraction: number, message: string, event?: RunEvent) => void;

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(err: Error): void;
  progress?: Progress;
}

/** A job's one-line failure, as the worker reported it. */
export class WorkerJobError extends Error {
  constructor(
    message: string,
    /** The file holds one modality and no partner was found beside it. */
    readonly needsPartner: boolean,
  ) {
    super(message);
  }
}

/** A job still running this long after its cancel is stuck in a kernel: the worker is terminated. */
const cancelGraceMs = 2000;

/** A request before it gets its id (Omit distributed over the union). */
type Payload = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;
/** A cancellable job's request before it gets its id and its cancel flag. */
type CancellablePayload = Payload extends infer R
  ? R extends { cancel: SharedArrayBuffer }
    ? Omit<R, 'cancel'>
    : never
  : never;

/**
 * The compute worker as seen from the extension host: started on first use, one request/reply id
 * per job, restarted after a crash or a forced stop, disposed with the extension.
 */
export class WorkerClient extends Disposable {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly deviceLost = this.register(new vscode.EventEmitter<void>());
  /** A job failed because the worker's GPU device was lost: its next job takes another backend. */
  readonly onDidLoseDevice = this.deviceLost.event;

  constructor(
    private readonly extensionPath: string,
    private readonly backend: () => BackendPreference,
    private readonly log: vscode.OutputChannel,
  ) {
    super();
    this.register({ dispose: () => this.stop(new Error('Embedding Lens is shutting down')) });
  }

  /** Restarts on next use, e.g. after the backend setting changed. */
  restart(): void {
    this.stop(new Error('the compute worker was restarted'));
  }

  /** `torch`: the metric pass on the torch engine (the host chose it, see analysisEngine.ts). */
  async analyze(
    files: string[],
    settings: AnalyzeSettings,
    torch: TorchAnalysisEngine | undefined,
    token: vscode.CancellationToken,
    progress: Progress,
  ): Promise<{ snapshot: PanelSnapshot; dosnes?: DosnesInput }> {
    const { snapshot, dosnes } = await this.job(
      { type: 'analyze', files, settings, torch },
      'analysis',
      token,
      progress,
    );
    return { snapshot, dosnes };
  }

  /** Lays out the sphere's DOSNES sample that an analysis returned. */
  async dosnes(input: DosnesInput, token: vscode.CancellationToken, progress: Progress): Promise<DosnesLayout> {
    return (await this.job({ type: 'dosnes', input }, 'dosnes', token, progress)).layout;
  }

  /** Runs a *.m2mix.json to its end; a cancel stops it before its next step (status 'cancelled'). */
  async train(configFile: string, token: vscode.CancellationToken, progress: Progress): Promise<RunSummary> {
    return (await this.job({ type: 'train', configFile }, 'trained', token, progress)).summary;
  }

  /** Analyses each checkpoint in turn; progress runs over all of them. */
  async compare(
    checkpoints: string[][],
    settings: AnalyzeSettings,
    torch: TorchAnalysisEngine | undefined,
    token: vscode.CancellationToken,
    progress: Progress,
  ): Promise<AnyCompareData> {
    return (await this.job({ type: 'compare', checkpoints, settings, torch }, 'comparison', token, progress)).data;
  }

  async backendReport(): Promise<BackendReport> {
    const reply = await this.request({ type: 'backend' });
    if (reply.type !== 'backend') throw new Error(`unexpected worker reply ${reply.type}`);
    return reply.report;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const init: WorkerInit = { backend: this.backend() };
    const worker = new Worker(path.join(this.extensionPath, 'dist', 'worker.js'), { workerData: init });
    worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    worker.on('error', (err) => {
      this.log.appendLine(`compute worker failed: ${err.message}`);
      this.stop(new Error(`the compute worker failed: ${err.message.split('\n')[0]}`));
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.stop(new Error(`the compute worker exited (code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private onReply(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    if (reply.type === 'progress') {
      p.progress?.(reply.fraction, reply.message, reply.event);
      return;
    }
    this.pending.delete(reply.id);
    if (reply.type === 'error') {
      if (reply.deviceLost) this.deviceLost.fire();
      p.reject(new WorkerJobError(reply.message, reply.needsPartner === true));
    } else if (reply.type === 'cancelled') p.reject(new CancelledError());
    else p.resolve(reply);
  }

  /** A job `token` can stop: its request carries a shared flag the worker polls, which a cancel sets. */
  private async job<T extends WorkerReply['type']>(
    payload: CancellablePayload,
    replyType: T,
    token: vscode.CancellationToken,
    progress: Progress,
  ): Promise<Extract<WorkerReply, { type: T }>> {
    const cancel = new SharedArrayBuffer(4);
    const reply = await this.request({ ...payload, cancel } as Payload, token, progress, () =>
      Atomics.store(new Int32Array(cancel), 0, 1),
    );
    if (reply.type !== replyType) throw new Error(`unexpected worker reply ${reply.type}`);
    return reply as Extract<WorkerReply, { type: T }>;
  }

  private request(
    payload: Payload,
    token?: vscode.CancellationToken,
    progress?: Progress,
    signalCancel?: () => void,
  ): Promise<WorkerReply> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      let sub: vscode.Disposable | undefined;
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        sub?.dispose();
        if (timer) clearTimeout(timer);
      };
      this.pending.set(id, {
        resolve: (r) => (done(), resolve(r)),
        reject: (e) => (done(), reject(e)),
        progress,
      });
      if (token) {
        sub = token.onCancellationRequested(() => {
          signalCancel?.();
          timer = setTimeout(() => {
            if (this.pending.has(id)) this.stop(new CancelledError());
          }, cancelGraceMs);
        });
      }
      worker.postMessage({ ...payload, id } as WorkerRequest);
    });
  }

  private stop(reason: Error): void {
    const worker = this.worker;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
    void worker?.terminate();
  }
}
