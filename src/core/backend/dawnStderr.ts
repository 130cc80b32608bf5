/**
 * Dawn's "artificially reduced" lines. Dawn clamps two limits of every Vulkan physical device it
 * initialises (maxDynamic{Uniform,Storage}BuffersPerPipelineLayout, to 16) and says so with
 * dawn::WarningLog (src/dawn/native/Limits.cpp, NormalizeLimits, called from
 * PhysicalDeviceBase::Initialize), which is a bare fprintf(stderr) in native code
 * (src/utils/log.cc): no toggle, create() flag or logging callback turns it off, and
 * console.warn never sees it. It is printed inside the synchronous part of requestAdapter(), where
 * Dawn discovers the devices, so the webgpu rung runs that one call with fd 2 pointed at a file and
 * passes on every other line it caught.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';

/** "Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit." */
const limitNote = /^(?:Warning: )?max\w+ artificially reduced from \d+ to \d+\b.*$/;

/** Splits what native code wrote to stderr into Dawn's limit notes and the rest, kept as written. */
export function splitDawnStderr(text: string): { notes: string[]; rest: string } {
  const notes: string[] = [];
  const rest: string[] = [];
  const lines = text.split('\n');
  const last = lines.pop() ?? ''; // '' after a final newline; an unterminated line otherwise
  for (const line of lines) (limitNote.test(line) ? notes : rest).push(line);
  const kept = rest.map((l) => l + '\n').join('');
  if (!last) return { notes, rest: kept };
  if (limitNote.test(last)) return { notes: [...notes, last], rest: kept };
  return { notes, rest: kept + last };
}

/**
 * Where fd 2 can be moved and put back: Linux (Dawn's Vulkan backend, the one that prints these)
 * on the main thread of a plain Node process (the CLI). Not in a worker thread or Electron: there
 * other threads of the host (VS Code's extension host) open files concurrently, and one could
 * take fd 2 in the moment it is free.
 */
function canMoveStderr(): boolean {
  return process.platform === 'linux' && isMainThread && !process.versions.electron;
}

/**
 * Runs `fn` (synchronous native code) with fd 2 pointed at a temporary file, and gives back what
 * was written to it; `text` is undefined when fd 2 was left alone (see canMoveStderr, or stderr is
 * a socket, which Linux cannot reopen) and the output went where it always goes. Node has no
 * dup2: fd 2 is closed and the file opened in its place (open takes the lowest free descriptor),
 * then stderr reopened the same way through /proc/self/fd.
 */
export function withStderrToFile<T>(fn: () => T): { value: T; text?: string } {
  if (!canMoveStderr()) return { value: fn() };
  const { O_WRONLY, O_APPEND, O_NOCTTY, O_NONBLOCK } = fs.constants;
  let keep: number;
  let fifo: boolean;
  try {
    // 0 and 1 open: the opens below must land on 2.
    fs.fstatSync(0);
    fs.fstatSync(1);
    fifo = fs.fstatSync(2).isFIFO();
    // Non-blocking for a pipe: a pipe with no reader left would block this open for ever (ENXIO instead).
    keep = fs.openSync('/proc/self/fd/2', O_WRONLY | O_APPEND | O_NOCTTY | (fifo ? O_NONBLOCK : 0));
  } catch {
    return { value: fn() };
  }
  const file = path.join(os.tmpdir(), `embedding-lens-dawn-${process.pid}-${Date.now()}.txt`);
  // Back onto fd 2: a fresh, blocking open of what fd 2 was (keep's own description may be non-blocking).
  const restore = () => {
    const fd = fs.openSync(`/proc/self/fd/${keep}`, O_WRONLY | O_APPEND | O_NOCTTY);
    if (fd !== 2) fs.closeSync(fd); // fd 2 was taken meanwhile: nothing better to do
    fs.closeSync(keep);
  };
  let cap = -1;
  fs.closeSync(2);
  try {
    cap = fs.openSync(file, 'w+', 0o600);
  } catch {
    // fall through: fd 2 is put back below
  }
  if (cap !== 2) {
    if (cap >= 0) fs.closeSync(cap);
    restore();
    fs.rmSync(file, { force: true });
    return { value: fn() };
  }
  let value: T;
  try {
    value = fn();
  } finally {
    fs.closeSync(2);
    restore();
  }
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } finally {
    fs.rmSync(file, { force: true });
  }
  return { value, text };
}

/**
 * Runs `fn` with Dawn's limit notes kept off stderr: they are returned, and every other line it
 * printed goes to stderr as before.
 */
export function withoutDawnLimitNotes<T>(fn: () => T): { value: T; notes: string[] } {
  const { value, text } = withStderrToFile(fn);
  if (text === undefined) return { value, notes: [] };
  const { notes, rest } = splitDawnStderr(text);
  if (rest) process.stderr.write(rest);
  return { value, notes };
}
