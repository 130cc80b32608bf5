/**
 * What the torch engine writes for the analysis views (`--view-pairs`, `--temperatures`): beyond the
 * drawn count, the same seeded sample of pairs as viewPairs.ts draws, with the checkpoint's own rows
 * (a caption's image through text_to_image), and the temperature sweep's queries by the same rule
 * as temperatureSweep.ts. Runs where EMBEDDING_LENS_TEST_PYTHON names an interpreter with torch.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { viewPairsSeed } from '../../../../src/core/analysis/viewPairs';
import { sweptTemperatures, temperatureSweep } from '../../../../src/core/calibration/temperatureSweep';
import { initBackend } from '../../../../src/core/backend/backendLadder';
import { sampleIndices } from '../../../../src/core/metrics/sampled';
import { readArrays } from '../../../../src/core/readers';
import { generateSample } from '../../../../src/core/synthetic/sampleCheckpoint';
import { runTorchAnalysis } from '../../../../src/core/torch/analysis';
import type { TorchInfo } from '../../../../src/core/torch/python';
import { mulberry32 } from '../../../../src/core/util/random';
import { writeSampleCaptionsSafetensors } from '../../../helpers/samplePairsNpy';
import { repoRoot } from '../../../helpers/repoRoot';
import { torchEngineOrSkipReason } from '../../../helpers/torchEngine';

const dir = mkdtempSync(path.join(tmpdir(), 'el-torch-views-'));
const savedPackage = process.env.EMBEDDING_LENS_PYTHON_PACKAGE;
after(() => {
  rmSync(dir, { recursive: true, force: true });
  if (savedPackage === undefined) delete process.env.EMBEDDING_LENS_PYTHON_PACKAGE;
  else process.env.EMBEDDING_LENS_PYTHON_PACKAGE = savedPackage;
});

describe("the torch engine's rows and sweep for the views", () => {
  let skip: string | false = false;
  let engine: { python: string; info: TorchInfo } | undefined;
  before(async () => {
    await initBackend('wasm');
    // Compiled tests run from out/, where the package the bundle finds beside it is not.
    process.env.EMBEDDING_LENS_PYTHON_PACKAGE = path.join(repoRoot, 'python');
    const found = await torchEngineOrSkipReason();
    if (typeof found === 'string') {
      skip = found;
      process.stdout.write(`# skipping the torch engine's view tests: ${skip}\n`);
    } else engine = found;
  });

  it('draws the seeded sample of pairs with their rows, and sweeps ECE as temperatureSweep() does', async (t) => {
    if (skip) return t.skip(skip);
    const sample = { pairs: 400, dim: 12, seed: 21, captionsPerImage: 3 };
    const file = path.join(dir, 'captions.safetensors');
    writeSampleCaptionsSafetensors(file, sample);
    const { image, text, textToImage } = generateSample(sample);
    const detailFile = path.join(dir, 'detail.safetensors');
    const temperatures = sweptTemperatures(0.01, [0.003, 0.03, 0.3]);
    const drawn = 250;
    const settings = { uniformityT: 2, ks: [1, 5, 10], eceTau: 0.01, imageKeys: [], textKeys: [] };
    await runTorchAnalysis([file], { ...settings, detailFile, viewPairs: drawn, temperatures }, engine!);
    const detail = await readArrays(detailFile);

    const chosen = sampleIndices(text.rows, drawn, mulberry32(viewPairsSeed));
    assert.deepEqual(Array.from(detail.get('view_pairs')!.data), Array.from(chosen));
    const dim = image.cols;
    const viewImage = detail.get('view_image')!;
    const viewText = detail.get('view_text')!;
    assert.deepEqual(viewImage.shape, [drawn, dim]);
    chosen.forEach((k, i) => {
      const owner = textToImage![k];
      assert.deepEqual(
        viewImage.data.subarray(i * dim, (i + 1) * dim),
        image.data.subarray(owner * dim, (owner + 1) * dim),
      );
      assert.deepEqual(viewText.data.subarray(i * dim, (i + 1) * dim), text.data.subarray(k * dim, (k + 1) * dim));
    });

    const expected = await temperatureSweep(image, text, textToImage, 0.01, 15, [0.003, 0.03, 0.3]);
    assert.deepEqual(expected.taus, temperatures);
    assert.equal(detail.get('temperature_queries')!.data[0], expected.queries);
    const ece = Array.from(detail.get('temperature_ece')!.data);
    ece.forEach((e, k) =>
      assert.ok(Math.abs(e - expected.ece[k]) < 1e-4, `ECE at ${temperatures[k]}: ${e} vs ${expected.ece[k]}`),
    );
  });
});
