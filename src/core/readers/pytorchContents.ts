/**
 * What an unpickled .pt holds, as named tensors and string lists, so that the same key matching as
 * for .npz picks the embeddings: nested dicts flatten to dotted names ('model.proj.weight'), a pair
 * of tensors becomes 'image' and 'text', a lone tensor is named after the file.
 */
import { InputError } from '../util/errors';
import {
  isTensor,
  PickleDict,
  PickleTuple,
  typeName,
  type PickleValue,
  type TensorReference,
} from './restrictedUnpickler';

export interface PytorchContents {
  tensors: { name: string; tensor: TensorReference }[];
  strings: { name: string; strings: string[] }[];
}

/** Deeper nesting than this is no checkpoint of embeddings; it would only lengthen the walk. */
const maxDepth = 16;

const itemsOf = (value: PickleValue): PickleValue[] | undefined =>
  Array.isArray(value) ? value : value instanceof PickleTuple ? value.items : undefined;

function keyText(key: PickleValue): string | undefined {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'bigint') return String(key);
  return undefined;
}

export function pytorchNamedContents(value: PickleValue, fileStem: string, file: string): PytorchContents {
  const out: PytorchContents = { tensors: [], strings: [] };
  if (isTensor(value)) {
    out.tensors.push({ name: fileStem, tensor: value });
    return out;
  }
  const items = itemsOf(value);
  if (items && items.length === 2 && items.every(isTensor)) {
    // (image, text): the order CLIP's forward returns them in, and what the README promises.
    out.tensors.push(
      { name: 'image', tensor: items[0] as TensorReference },
      { name: 'text', tensor: items[1] as TensorReference },
    );
    return out;
  }
  if (!items && !(value instanceof PickleDict)) {
    throw new InputError(
      file,
      `holds a ${typeName(value)}, not tensors (a tensor, a (2, N, D) tensor, a pair of tensors or a dict of them)`,
    );
  }
  // Shared sub-objects (the memo lets a pickle refer back to one) are walked once: a cycle ends.
  const seen = new Set<object>();
  const walk = (node: PickleValue, prefix: string, depth: number): void => {
    if (isTensor(node)) {
      out.tensors.push({ name: prefix, tensor: node });
      return;
    }
    if (typeof node !== 'object' || node === null || node instanceof Uint8Array || seen.has(node) || depth > maxDepth)
      return;
    seen.add(node);
    const join = (key: string): string => (prefix ? `${prefix}.${key}` : key);
    if (node instanceof PickleDict) {
      for (const [key, child] of node.entries) {
        const text = keyText(key);
        if (text !== undefined) walk(child, join(text), depth + 1);
      }
      return;
    }
    const list = itemsOf(node);
    if (!list) return;
    if (prefix && list.length > 0 && list.every((s) => typeof s === 'string')) {
      out.strings.push({ name: prefix, strings: list as string[] });
      return;
    }
    list.forEach((child, k) => walk(child, prefix ? `${prefix}.${k}` : `[${k}]`, depth + 1));
  };
  walk(value, '', 0);
  return out;
}
