import { CancelledError } from './errors';

/** Mirrors vscode.CancellationToken so the same token shape travels from the host to the core. */
export interface CancelToken {
  readonly isCancellationRequested: boolean;
}

export const neverCancelled: CancelToken = { isCancellationRequested: false };

export function throwIfCancelled(token: CancelToken | undefined): void {
  if (token?.isCancellationRequested) throw new CancelledError();
}

/** A token whose flag lives in shared memory, so a worker busy in a tight loop still sees a cancel. */
export class SharedCancelToken implements CancelToken {
  private readonly flag: Int32Array;
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.flag = new Int32Array(buffer);
  }
  get isCancellationRequested(): boolean {
    return Atomics.load(this.flag, 0) !== 0;
  }
  cancel(): void {
    Atomics.store(this.flag, 0, 1);
  }
}

export type ProgressFn = (fraction: number, message?: string) => void;
