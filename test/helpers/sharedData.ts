import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** ../shared/data beside the checkout (tests run from out/test/...), or undefined when CI lacks it. */
export function sharedDataDir(): string | undefined {
  const dir = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data');
  return existsSync(path.join(dir, 'clip-vitb16-coco500.npy')) ? dir : undefined;
}

export const sharedDataSkip = 'skipped: ../shared/data is absent (it holds the real CLIP embeddings)';
