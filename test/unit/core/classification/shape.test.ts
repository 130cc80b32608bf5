/** What the checkpoints tree says of a classification set, from its headers. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { describeCheckpointShape } from '../../../../src/core/readers/checkpointShape';
import {
  fixtureClasses,
  fixtureDim,
  fixtureSet,
  writeClassificationNpz,
} from '../../../helpers/classificationFixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'el-class-shape-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('describeCheckpointShape on classification sets', () => {
  it('names the images and classes of a set without pairs, where it used to be an error', async () => {
    const file = path.join(dir, 'classes.npz');
    await writeClassificationNpz(file, {}, 60);
    assert.equal(await describeCheckpointShape(file), `60 images, ${fixtureClasses} classes × ${fixtureDim}`);
  });

  it('names the pairs too when the set holds them', async () => {
    const file = path.join(dir, 'both.npz');
    const s = fixtureSet(60);
    await writeClassificationNpz(file, { text_embeds: { shape: [60, fixtureDim], data: s.image.data } }, 60);
    assert.equal(
      await describeCheckpointShape(file),
      `60 × ${fixtureDim} · 60 images, ${fixtureClasses} classes × ${fixtureDim}`,
    );
  });
});
