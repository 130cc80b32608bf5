/**
 * VS Code keeps a webview's state as JSON, which has no typed arrays: a Float32Array would come back
 * as an object of numbered keys. The snapshot's point coordinates are kept as base64 of their bytes,
 * a third the size of their numbers written out, and exact.
 */
import type { PanelSnapshot } from '../../../src/protocol/analysisPanel';

interface StoredFloat32 {
  float32Base64: string;
}

/** `T` as saved in the view's state. */
export type Stored<T> = T extends Float32Array
  ? StoredFloat32
  : T extends object
    ? { [K in keyof T]: Stored<T[K]> }
    : T;

/** Arguments per String.fromCharCode call: well under any engine's limit. */
const chunkBytes = 0x8000;

function base64Of(a: Float32Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let binary = '';
  for (let i = 0; i < bytes.length; i += chunkBytes)
    binary += String.fromCharCode(...bytes.subarray(i, i + chunkBytes));
  return btoa(binary);
}

function float32Of(base64: string): Float32Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

function isStoredFloat32(v: object): v is StoredFloat32 {
  return typeof (v as Partial<StoredFloat32>).float32Base64 === 'string' && Object.keys(v).length === 1;
}

function toStored(v: unknown): unknown {
  if (v instanceof Float32Array) return { float32Base64: base64Of(v) } satisfies StoredFloat32;
  if (Array.isArray(v)) return v.map(toStored);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([key, value]) => [key, toStored(value)]));
  return v;
}

function fromStored(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromStored);
  if (v !== null && typeof v === 'object') {
    if (isStoredFloat32(v)) return float32Of(v.float32Base64);
    return Object.fromEntries(Object.entries(v).map(([key, value]) => [key, fromStored(value)]));
  }
  return v;
}

export const storedSnapshot = (s: PanelSnapshot): Stored<PanelSnapshot> => toStored(s) as Stored<PanelSnapshot>;

/** A snapshot saved before coordinates were typed holds plain arrays: they pass through, and draw the same. */
export const restoredSnapshot = (s: Stored<PanelSnapshot>): PanelSnapshot => fromStored(s) as PanelSnapshot;
