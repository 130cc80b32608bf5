/**
 * Folds a run's events into the dashboard snapshot. Host-independent (no vscode), so it is unit
 * tested; the snapshot is mutated in place because a run delivers one event per step.
 */
import * as path from 'node:path';
import { ranksFor } from '../../core/torch/launch';
import type { TorchInfo } from '../../core/torch/python';
import type { RunEvent, RunSummary } from '../../core/train/events';
import type { TrainConfig } from '../../core/train/trainConfig';
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
    evals: {
      epoch: [],
      uniformity: [],
      alignment: [],
      hardestNegativeAlignmentI2t: [],
      hardestNegativeAlignmentT2i: [],
      modalityGap: [],
      r1I2t: [],
      r1T2i: [],
    },
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
  for (const term of Object.keys(s.components) as (keyof typeof s.components)[])
    s.components[term] = filter(s.components[term]!);
}

export function applyEvent(snap: DashboardSnapshot, e: RunEvent): void {
  switch (e.type) {
    case 'start':
      snap.status = 'running';
      snap.runDir = e.runDir;
      snap.totalSteps = e.totalSteps;
      snap.step = e.firstStep;
      // The torch engine's notes may come before its start event.
      snap.notes = snap.notes || e.notes.length ? [...(snap.notes ?? []), ...e.notes] : undefined;
      return;
    case 'step': {
      snap.step = e.step;
      // JSON turns a NaN rate (a zero-length step) into null.
      if (Number.isFinite(e.ranks)) snap.ranks = e.ranks;
      if (Number.isFinite(e.samples_per_s)) snap.samplesPerSecond = e.samples_per_s;
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
      v.hardestNegativeAlignmentI2t.push(m.hardest_negative_alignment_i2t);
      v.hardestNegativeAlignmentT2i.push(m.hardest_negative_alignment_t2i);
      v.modalityGap.push(m.modality_gap);
      v.r1I2t.push(m.i2t['R@1']);
      v.r1T2i.push(m.t2i['R@1']);
      for (const suite of e.suites ?? []) {
        v.suites ??= [];
        let column = v.suites.find((c) => c.name === suite.suite);
        if (!column) {
          const earlier = Array<number | null>(v.epoch.length - 1).fill(null);
          column = { name: suite.suite, idTop1: earlier, oodMean: [...earlier] };
          v.suites.push(column);
        }
        column.idTop1.push(finite(suite.inDistribution.result.top1));
        column.oodMean.push(finite(suite.ood_mean));
      }
      // A suite this epoch did not measure keeps its columns aligned with `epoch`.
      for (const column of v.suites ?? []) {
        if (column.idTop1.length < v.epoch.length) column.idTop1.push(null);
        if (column.oodMean.length < v.epoch.length) column.oodMean.push(null);
      }
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

/** A line the torch engine says for the user (rows it skipped, parameters it froze). */
export function applyNote(snap: DashboardSnapshot, message: string): void {
  snap.notes = [...(snap.notes ?? []), message];
}

/** Where a torch run's ranks compute, in words: "2 × NVIDIA H200", "CPU (16 threads)", "4 CPU processes". */
export function torchDeviceLabel(
  info: TorchInfo,
  config: Pick<TrainConfig, 'devices' | 'nodes' | 'precision'>,
): string {
  const { ranks } = ranksFor(config.devices, info.cuda.length);
  const cuda = Array.isArray(config.devices)
    ? info.cuda.filter((d) => (config.devices as number[]).includes(d.index))
    : info.cuda;
  const names = [...new Set(cuda.map((d) => d.name))].join(' + ');
  const perNode =
    info.cuda.length > 0
      ? `${ranks} × ${names || 'CUDA device'}`
      : ranks > 1
        ? `${ranks} CPU processes`
        : info.mps
          ? 'MPS'
          : `CPU (${info.cpu_threads} thread${info.cpu_threads === 1 ? '' : 's'})`;
  const nodes = config.nodes.count > 1 ? ` on each of ${config.nodes.count} nodes` : '';
  return `${perNode}${nodes}${config.precision === 'fp32' ? '' : `, ${config.precision}`}`;
}

export function applyFailure(snap: DashboardSnapshot, message: string): void {
  snap.status = 'failed';
  snap.message = message;
}
