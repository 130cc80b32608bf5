/**
 * Every problem a user can cause with their input surfaces as an InputError: one line that names
 * the file and the problem. Anything else reaching the user is a bug in Embedding Lens.
 */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'InputError';
  }
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

/** One line for the user, never a stack trace. Unknown errors keep their message but lose the stack. */
export function oneLine(err: unknown, file?: string): string {
  if (err instanceof InputError) return err.message.replace(/\s*\n\s*/g, ' ');
  const raw = err instanceof Error ? err.message : String(err);
  const msg = raw.split('\n')[0].trim() || 'unknown error';
  return file ? `${file}: ${msg}` : msg;
}

/** The GPU device a job ran on was lost: the next job takes the next rung of the ladder. */
export class DeviceLostError extends Error {}

/** A file with one modality and no partner beside it: the caller may ask the user for the other file. */
export class NeedsPartnerError extends InputError {}
