import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisSnapshot } from '../../../../src/protocol/analysisPanel';
import { restoredSnapshot, storedSnapshot } from '../../../../webview/src/analysis/storedSnapshot';
import { makeSnapshot } from '../../../helpers/snapshotFixture';

/** What VS Code does to a webview's state between a hide and a show. */
const throughJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Every number of a snapshot, typed arrays written out (JSON also drops its undefined fields). */
const numbersOf = (s: unknown): unknown =>
  JSON.parse(JSON.stringify(s, (_key, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v)));

describe("the analysis view's saved state", () => {
  it('brings back every coordinate exactly, as typed arrays, and the rest as it was', () => {
    const snapshot = makeSnapshot({ pairs: 700, scatterTotal: 9000 });
    // A view into a larger buffer, as the worker's slices can be.
    const backing = new Float32Array(snapshot.sphere.image.length + 5);
    backing.set(snapshot.sphere.image, 3);
    snapshot.sphere.image = backing.subarray(3, 3 + snapshot.sphere.image.length);
    const back = restoredSnapshot(throughJson(storedSnapshot(snapshot))) as AnalysisSnapshot;
    assert.ok(back.scatter.image instanceof Float32Array);
    assert.ok(back.sphere.dosnes?.text instanceof Float32Array);
    assert.deepEqual(numbersOf(back), numbersOf(snapshot));
  });

  it('is smaller than the coordinates written out as numbers', () => {
    const snapshot = makeSnapshot({ pairs: 5000 });
    const plain = {
      ...snapshot,
      scatter: {
        ...snapshot.scatter,
        image: Array.from(snapshot.scatter.image),
        text: Array.from(snapshot.scatter.text),
      },
    };
    const stored = JSON.stringify(storedSnapshot(snapshot)).length;
    assert.ok(stored < JSON.stringify(plain).length / 2, `${stored} characters saved`);
  });

  it('passes a snapshot saved with plain arrays through (the charts index either)', () => {
    const snapshot = makeSnapshot({ pairs: 50 });
    const old = throughJson({
      ...snapshot,
      scatter: { ...snapshot.scatter, image: Array.from(snapshot.scatter.image) },
    });
    const back = restoredSnapshot(old as never) as AnalysisSnapshot;
    assert.deepEqual(Array.from(back.scatter.image), Array.from(snapshot.scatter.image));
  });
});
