/**
 * Folds a run's events into the dashboard snapshot. Host-independent (no vscode), so it is unit
 * tested; the snapshot is mutated in place because a run delivers one event per step.
 */
import * as path from 'node:path';
import type { RunEvent, RunSummary } from '../../core/train/events';
import { bestName } from '../../core/train/runFolder';
import type { DashboardSnapshot } from '../../protocol/dashboard';

/** Step points kept per series; beyond it every other point goes and the stride doubles. */
export const maxStepPoints = 2000;

export function emptySnapshot(name: string, configFile: string, epochs: number): DashboardSnapshot {
  return {
    name,
    configFile,
    status: 'starting',
    step: 0,
    totalSteps: 0,
    epochs,
    steps: { stride: 1, step: [], lr: [], loss: [], components: {} },
    evals: { epoch: [], uniformity: [], alignment: [], hardNegativeI2t: [], hardNegativeT2i: [], modalityGap: [], r1I2t: [], r1T2i: [] },
  };
}

const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

/** Keeps the points whose step is 1 + a multiple of the (doubled) stride. */
function thin(s: DashboardSnapshot['steps']): void {
  s.stride *= 2;
  const keep = s.step.map((step) => (step - 1) % s.stride === 0);
  const filter = <T>(xs: T[]): T[] => xs.filter((_, i) => keep[i]);
  s.step = filter(s.step);
  s.lr = filter(s.lr);
  s.loss = filter(s.loss);
  for (const term of Object.keys(s.components) as (keyof typeof s.components)[]) s.components[term] = filter(s.components[term]!);
}

export function applyEvent(snap: DashboardSnapshot, e: RunEvent): void {
  switch (e.type) {
    case 'start':
      snap.status = 'running';
      snap.runDir = e.runDir;
      snap.totalSteps = e.totalSteps;
      snap.step = e.firstStep;
      snap.notes = e.notes.length ? e.notes : undefined;
      return;
    case 'step': {
      snap.step = e.step;
      const s = snap.steps;
      if ((e.step - 1) % s.stride !== 0) return;
      const at = s.step.length;
      s.step.push(e.step);
      s.lr.push(e.lr);
      s.loss.push(finite(e.loss));
      for (const [term, value] of Object.entries(e.components) as [keyof typeof s.components, number][]) {
        // A term first seen now (none is, in practice) is padded so the columns stay aligned.
        const column = (s.components[term] ??= Array<number | null>(at).fill(null));
        column.push(finite(value));
      }
      if (s.step.length > maxStepPoints) thin(s);
      return;
    }
    case 'eval': {
      const m = e.metrics;
      const v = snap.evals;
      v.epoch.push(e.epoch);
      v.uniformity.push(m.uniformity);
      v.alignment.push(m.alignment);
      v.hardNegativeI2t.push(m.hardest_negative_alignment_i2t);
      v.hardNegativeT2i.push(m.hardest_negative_alignment_t2i);
      v.modalityGap.push(m.modality_gap);
      v.r1I2t.push(m.i2t['R@1']);
      v.r1T2i.push(m.t2i['R@1']);
      return;
    }
    case 'checkpoint':
      if (!e.best) return;
      snap.bestEpoch = e.epoch;
      snap.bestCheckpoint = path.join(path.dirname(e.file), bestName);
      return;
  }
}

export function applySummary(snap: DashboardSnapshot, summary: RunSummary): void {
  snap.status = summary.status;
  snap.message = summary.message;
  snap.runDir = summary.runDir;
  snap.step = summary.steps;
}

export function applyFailure(snap: DashboardSnapshot, message: string): void {
  snap.status = 'failed';
  snap.message = message;
}
