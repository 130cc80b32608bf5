import * as assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { describeCheckpointShape, trainingPairs } from '../../../../src/core/readers/checkpointShape';
import { analyzeCheckpoints } from '../../../../src/snapshots/compare/analyzeCheckpoints';
import { buildCompareSnapshot } from '../../../../src/snapshots/compare/compareSnapshot';
import { sharedHistograms } from '../../../../src/snapshots/compare/histograms';
import { metricsCsv, metricsJson } from '../../../../src/snapshots/compare/metricsExport';
import { checkpointNames } from '../../../../src/snapshots/compare/checkpointNames';
import { rankChanges, rowsPerSide } from '../../../../src/snapshots/compare/rankChanges';
import { compareDataOf, type AnalyzedForCompare } from '../../../../src/snapshots/compare/compareData';
import { mulberry32 } from '../../../../src/core/util/random';
import { InputError } from '../../../../src/core/util/errors';
import { writeSampleWorkspace } from '../../../../src/core/synthetic/sampleWorkspace';
import type { AnalysisResult, RetrievalStats } from '../../../../src/core/metrics/types';
import { metricInfos } from '../../../../src/protocol/metricInfo';

function retrieval(r1: number): RetrievalStats {
  return { 'R@1': r1, 'R@5': r1 + 20, 'R@10': r1 + 30, median_rank: 2, mean_rank: 5.5 };
}

function result(over: Partial<AnalysisResult> = {}): AnalysisResult {
  const norms = { min: 1, mean: 1, max: 1 };
  return {
    n: 4,
    dim: 8,
    uniformity: -3,
    uniformity_image: -2,
    uniformity_text: -2,
    alignment: 1,
    hardest_negative_alignment_i2t: -0.1,
    hardest_negative_alignment_t2i: -0.1,
    modality_gap: 0.8,
    i2t: retrieval(50),
    t2i: retrieval(40),
    ece: 0.1,
    ece_t2i: 0.1,
    ece_tau: 0.01,
    uniformity_t: 2,
    n_image: 4,
    n_text: 4,
    input_norms: { image: norms, text: norms },
    ...over,
  };
}

function checkpoint(name: string, r: AnalysisResult, ranks: number[], captions?: string[]): AnalyzedForCompare {
  const similarities = Float32Array.from(ranks, (rank) => 1 / (1 + rank));
  return {
    name,
    files: [`/w/${name}`],
    result: r,
    seconds: 1,
    warnings: [],
    ranksI2T: Int32Array.from(ranks),
    ranksT2I: Int32Array.from(ranks),
    captions,
    positive: similarities,
    hardestNegative: similarities,
  };
}

const data = (checkpoints: AnalyzedForCompare[]) => compareDataOf(checkpoints, 'cpu', 2);

const row = (s: ReturnType<typeof buildCompareSnapshot>, key: string) => s.rows.find((r) => r.key === key)!;

describe('compare: metrics table', () => {
  const a = checkpoint('a.npy', result(), [0, 1, 2, 3]);
  const b = checkpoint(
    'b.npy',
    result({ alignment: 0.8, uniformity: -2.5, i2t: retrieval(62.5), modality_gap: 0.8 + 1e-6 }),
    [0, 0, 5, 3],
  );
  const c = checkpoint('c.npy', result({ alignment: 1.25, i2t: retrieval(25) }), [1, 1, 2, 3]);

  it('gives each checkpoint its delta against the first by default, coloured by the metric direction', () => {
    const s = buildCompareSnapshot(data([a, b, c]), 0);
    const alignment = row(s, 'alignment');
    assert.deepEqual(alignment.values, [1, 0.8, 1.25]);
    assert.ok(Math.abs(alignment.deltas[1] + 0.2) < 1e-12);
    assert.equal(alignment.deltas[2], 0.25);
    assert.deepEqual(alignment.verdicts, ['baseline', 'better', 'worse']);
    // Recall is higher-better: the opposite colouring for the same sign of change.
    assert.deepEqual(row(s, 'i2t.R@1').deltas, [0, 12.5, -25]);
    assert.deepEqual(row(s, 'i2t.R@1').verdicts, ['baseline', 'better', 'worse']);
    // Uniformity: less negative is less uniform, which is worse.
    assert.deepEqual(row(s, 'uniformity').verdicts, ['baseline', 'worse', 'same']);
  });

  it('calls a change below the shown precision the same', () => {
    const s = buildCompareSnapshot(data([a, b]), 0);
    assert.equal(row(s, 'modality_gap').verdicts[1], 'same');
  });

  it('measures against the chosen baseline', () => {
    const s = buildCompareSnapshot(data([a, b, c]), 2);
    assert.deepEqual(row(s, 'i2t.R@1').deltas, [25, 37.5, 0]);
    assert.deepEqual(row(s, 'i2t.R@1').verdicts, ['better', 'better', 'baseline']);
  });

  it('takes every direction from the shared metric list: recall higher, everything else lower', () => {
    for (const m of metricInfos) assert.equal(m.better, /R@/.test(m.key) ? 'higher' : 'lower', m.key);
  });

  it('refuses a baseline that is not one of the checkpoints, and fewer than two or more than eight', () => {
    assert.throws(() => buildCompareSnapshot(data([a, b]), 2), RangeError);
    assert.throws(() => buildCompareSnapshot(data([a]), 0), InputError);
    assert.throws(() => buildCompareSnapshot(data(Array(9).fill(a)), 0), /2 to 8 checkpoints, got 9/);
  });

  it('exports CSV and JSON with the same values and deltas', () => {
    const s = buildCompareSnapshot(data([a, b]), 0);
    const lines = metricsCsv(s).trim().split('\n');
    assert.equal(lines[0], 'metric,better,a.npy,b.npy,Δ a.npy (baseline),Δ b.npy');
    assert.equal(
      lines
        .find((l) => l.startsWith('alignment,'))!
        .split(',')
        .slice(2, 4)
        .join(','),
      '1,0.8',
    );
    const json = metricsJson(s);
    assert.equal(json.baseline, 'a.npy');
    assert.equal(json.metrics['i2t.R@1'].deltas['b.npy'], 12.5);
  });
});

describe('compare: per-pair rank changes', () => {
  it('counts gains and losses against the baseline and lists the changed queries with captions', () => {
    const captions = ['a dog', 'a cat', 'a car', 'a tree'];
    const a = checkpoint('a.npy', result(), [0, 1, 2, 3], captions);
    const b = checkpoint('b.npy', result(), [0, 0, 5, 3], captions);
    const s = buildCompareSnapshot(data([a, b]), 0);
    const t = s.rankChanges!.i2t;
    assert.deepEqual(
      [t.improved, t.worsened, t.unchanged],
      [
        [0, 1],
        [0, 1],
        [4, 2],
      ],
    );
    assert.deepEqual(t.rows, [
      { query: 1, caption: 'a cat', ranks: [2, 1] },
      { query: 2, caption: 'a car', ranks: [3, 6] },
    ]);
  });

  it(`keeps the ${rowsPerSide} largest gains and losses of each checkpoint`, () => {
    const n = 200;
    const base = Array.from({ length: n }, (_, i) => i);
    const b = base.map((r, i) => (i < 100 ? Math.max(0, r - i) : r + i));
    const s = buildCompareSnapshot(
      data([
        checkpoint('a', result({ n_image: n, n_text: n }), base),
        checkpoint('b', result({ n_image: n, n_text: n }), b),
      ]),
      0,
    );
    const rows = s.rankChanges!.t2i.rows;
    assert.equal(rows.length, 2 * rowsPerSide);
    // The largest gains are the queries i < 100 with the largest i; the largest losses the last ones.
    assert.deepEqual(
      rows.slice(0, rowsPerSide).map((r) => r.query),
      Array.from({ length: rowsPerSide }, (_, k) => 100 - rowsPerSide + k),
    );
    assert.deepEqual(
      rows.slice(rowsPerSide).map((r) => r.query),
      Array.from({ length: rowsPerSide }, (_, k) => n - rowsPerSide + k),
    );
  });
});

/** The rows rankChanges must choose, by sorting every changed query (what it did before one pass replaced the sort). */
function sortedChoice(ranks: Int32Array[], baseline: number): number[] {
  const base = ranks[baseline];
  const chosen = new Set<number>();
  ranks.forEach((r, c) => {
    if (c === baseline) return;
    const changed = [...base.keys()].filter((q) => r[q] !== base[q]);
    changed.sort((a, b) => r[a] - base[a] - (r[b] - base[b]) || a - b);
    for (const q of changed.slice(0, rowsPerSide)) if (r[q] < base[q]) chosen.add(q);
    for (const q of changed.slice(-rowsPerSide)) if (r[q] > base[q]) chosen.add(q);
  });
  return [...chosen].sort((a, b) => a - b);
}

describe('compare: rank changes in one pass', () => {
  it('chooses the rows a full sort chooses, ties included, against every baseline', () => {
    const rng = mulberry32(5);
    for (const n of [3, 40, 3000]) {
      // Few distinct ranks: most changes tie with many others.
      const ranks = Array.from({ length: 4 }, () => Int32Array.from({ length: n }, () => Math.floor(rng() * 6)));
      const checkpoints = ranks.map((r) => ({ result: { n_image: n, n_text: n }, ranksI2T: r, ranksT2I: r }));
      for (let baseline = 0; baseline < ranks.length; baseline++) {
        const got = rankChanges(checkpoints, baseline, 'i2t');
        assert.deepEqual(
          got.rows.map((r) => r.query),
          sortedChoice(ranks, baseline),
          `n = ${n}, baseline ${baseline}`,
        );
        for (const r of got.rows)
          assert.deepEqual(
            r.ranks,
            ranks.map((k) => k[r.query] + 1),
          );
        const changed = ranks.map((r) => r.filter((v, q) => v !== ranks[baseline][q]).length);
        assert.deepEqual(
          got.improved.map((up, c) => up + got.worsened[c]),
          changed,
        );
      }
    }
  });

  it("leaves the per-query arrays in the worker: the host gets every baseline's tables instead", () => {
    const a = checkpoint('a.npy', result(), [0, 1, 2, 3], ['a dog', 'a cat', 'a car', 'a tree']);
    const b = checkpoint('b.npy', result(), [0, 0, 5, 3]);
    const d = data([a, b]);
    for (const c of d.checkpoints)
      assert.deepEqual(Object.keys(c).sort(), ['files', 'name', 'result', 'seconds', 'warnings']);
    assert.equal(d.rankChanges?.length, 2);
    assert.deepEqual(buildCompareSnapshot(d, 1).rankChanges, {
      i2t: rankChanges([a, b], 1, 'i2t'),
      t2i: rankChanges([a, b], 1, 't2i'),
    });
  });
});

describe('compare: what is not comparable', () => {
  it('explains different N instead of failing, and leaves the rank changes out', () => {
    const a = checkpoint('a.npy', result(), [0, 1, 2, 3]);
    const b = checkpoint('b.npy', result({ n: 3, n_image: 3, n_text: 3 }), [0, 1, 2]);
    const s = buildCompareSnapshot(data([a, b]), 0);
    assert.equal(s.rankChanges, undefined);
    assert.equal(s.notComparable.length, 1);
    assert.match(s.notComparable[0], /a\.npy: 4 pairs; b\.npy: 3 pairs.*per-pair rank changes are unavailable/);
    assert.deepEqual(row(s, 'alignment').values, [1, 1]);
  });

  it('explains different D and still gives the per-pair changes when the pairs match', () => {
    const a = checkpoint('a.npy', result(), [0, 1, 2, 3]);
    const b = checkpoint('b.npy', result({ dim: 16 }), [0, 1, 2, 3]);
    const s = buildCompareSnapshot(data([a, b]), 0);
    assert.ok(s.rankChanges);
    assert.deepEqual(s.notComparable.length, 1);
    assert.match(s.notComparable[0], /D = 8, 16.*geometry overlays .* unavailable/);
  });

  it('says nothing when everything is comparable', () => {
    const a = checkpoint('a.npy', result(), [0, 1, 2, 3]);
    assert.deepEqual(buildCompareSnapshot(data([a, a]), 0).notComparable, []);
  });
});

describe('compare: parts', () => {
  it('puts every checkpoint on the same histogram edges', () => {
    const h = sharedHistograms(
      [Float32Array.of(0, 0.5), Float32Array.of(1)],
      [Float32Array.of(0.25), Float32Array.of()],
      4,
    );
    assert.deepEqual(h.edges, [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(h.positive, [
      [1, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
    assert.deepEqual(h.hardestNegative, [
      [0, 1, 0, 0],
      [0, 0, 0, 0],
    ]);
  });

  it('names checkpoints by file, adding the folder only where names clash', () => {
    assert.deepEqual(checkpointNames([['/x/run1/a.npy'], ['/x/run2/a.npy'], ['/x/b.npz'], ['/p/i.npy', '/p/t.npy']]), [
      'run1/a.npy',
      'run2/a.npy',
      'b.npz',
      'i.npy + t.npy',
    ]);
    assert.deepEqual(checkpointNames([['/x/a.npy'], ['/x/a.npy']]), ['x/a.npy (1)', 'x/a.npy (2)']);
  });

  it('refuses one checkpoint before reading anything', async () => {
    await assert.rejects(
      analyzeCheckpoints(
        [['/nonexistent.npy']],
        { uniformityT: 2, ks: [1, 5, 10], eceTau: 0.01, memoryBudgetMB: 16, imageKeys: [], textKeys: [] },
        'cpu',
      ),
      /compare takes 2 to 8 checkpoints, got 1/,
    );
  });
});

describe('checkpoint shapes for the checkpoints view', () => {
  it('says N × D from the headers of every sample format, and one line naming the file for a bad one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'el-shape-'));
    try {
      await writeSampleWorkspace(dir);
      assert.equal(await describeCheckpointShape(path.join(dir, 'clip-sample.npy')), '500 × 512');
      assert.equal(await describeCheckpointShape(path.join(dir, 'clip-sample.npz')), '500 × 512');
      assert.equal(await describeCheckpointShape(path.join(dir, 'clip-sample.safetensors')), '500 × 512');
      assert.equal(
        await describeCheckpointShape(path.join(dir, 'coco-style-5captions.npz')),
        '200 images, 1,000 captions × 512',
      );
      assert.equal(await describeCheckpointShape(path.join(dir, 'pair', 'clip_text.npy')), '500 × 512 (text)');
      // What a training epoch draws: one pair per image.
      assert.deepEqual(
        await Promise.all(
          ['clip-sample.npy', 'clip-sample.safetensors', 'coco-style-5captions.npz', 'pair/clip_text.npy'].map((f) =>
            trainingPairs(path.join(dir, f)),
          ),
        ),
        [500, 500, 200, undefined],
      );
      const bad = path.join(dir, 'bad.npy');
      await writeFile(bad, 'not numpy');
      await assert.rejects(
        describeCheckpointShape(bad),
        (err: Error) => err instanceof InputError && err.message.startsWith(bad) && !err.message.includes('\n'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
