/** The project's own CLI, used to build the e2e workspaces and to compute the expected numbers. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateSample } from '../../src/core/synthetic/sampleCheckpoint';
import { encodeNpy } from '../../src/core/writers';
import { repoRoot } from '../helpers/repoRoot';

const cli = path.join(repoRoot, 'dist', 'cli.js');

function runCli(args: string[]): string {
  return execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface E2eWorkspace {
  dir: string;
  /** clip-sample.npy, the (2, N, D) checkpoint. */
  checkpoint: string;
  /** A copy of it cut in half, which the readers must refuse with a message. */
  truncated: string;
}

/** A fresh temp folder holding what `embedding-lens sample` writes, plus truncated.npy. */
export function makeSampleWorkspace(): E2eWorkspace {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'embedding-lens-e2e-ws-'));
  const written = runCli(['sample', dir])
    .split('\n')
    .filter(Boolean)
    .map((f) => path.resolve(dir, f));
  const checkpoint = path.join(dir, 'clip-sample.npy');
  if (!written.includes(checkpoint))
    throw new Error(`'embedding-lens sample' did not write ${checkpoint}: ${written.join(', ')}`);
  const truncated = path.join(dir, 'truncated.npy');
  const bytes = readFileSync(checkpoint);
  writeFileSync(truncated, bytes.subarray(0, bytes.length >> 1));
  return { dir, checkpoint, truncated };
}

export function analyzeJson(file: string): Record<string, unknown> {
  return JSON.parse(runCli(['analyze', file, '--json'])) as Record<string, unknown>;
}

/** Writes DIR/NAME, a (2, pairs, 512) checkpoint of the sample's CLIP-like geometry; returns its path. */
export function writeGeneratedCheckpoint(dir: string, name: string, pairs: number, seed: number): string {
  const { image, text } = generateSample({ pairs, seed });
  const both = new Float32Array(image.data.length + text.data.length);
  both.set(image.data, 0);
  both.set(text.data, image.data.length);
  const file = path.join(dir, name);
  writeFileSync(file, encodeNpy([2, pairs, image.cols], both));
  return file;
}
