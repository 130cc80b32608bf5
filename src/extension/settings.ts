import * as vscode from 'vscode';
import type { AnalyzeSettings, BackendPreference } from '../protocol/worker';

const section = 'embeddingLens';

export function analyzeSettings(scope?: vscode.Uri): AnalyzeSettings {
  const c = vscode.workspace.getConfiguration(section, scope);
  return {
    uniformityT: c.get<number>('uniformityT', 2),
    ks: c.get<number[]>('retrievalKs', [1, 5, 10]),
    eceTau: c.get<number>('eceTemperature', 0.01),
    memoryBudgetMB: c.get<number>('memoryBudgetMB', 512),
    imageKeys: c.get<string[]>('npzImageKeys', []),
    textKeys: c.get<string[]>('npzTextKeys', []),
    sampleAbovePairs: c.get<number>('sampleAbovePairs', 50000),
  };
}

export function backendPreference(): BackendPreference {
  return vscode.workspace.getConfiguration(section).get<BackendPreference>('backend', 'auto');
}

export function affectsBackend(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(`${section}.backend`);
}

/** Glob of the files the commands offer. */
export const embeddingGlob = '**/*.{npy,npz,safetensors,pt,pth,parquet,arrow,feather}';

/** Files the Embedding Checkpoints view lists (embeddingLens.checkpointsGlob). */
export function checkpointsGlob(): string {
  return vscode.workspace.getConfiguration(section).get<string>('checkpointsGlob', embeddingGlob) || embeddingGlob;
}
