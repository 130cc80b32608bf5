import * as assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  encodeNpy,
  encodeNpz,
  encodeSafetensors,
  writeNpy,
  writeNpz,
  writeSafetensors,
} from '../../../../src/core/writers';
import { assertInputError, exactValues, tempDir } from '../../../helpers/readerFixtures';

test('writes replace the target whole and leave no temp file behind', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'out.npy');
  writeFileSync(file, 'old contents');
  await writeNpy(file, [2, 3], exactValues(6));
  assert.deepEqual(readFileSync(file), encodeNpy([2, 3], exactValues(6)));
  await writeNpz(path.join(dir, 'out.npz'), { a: { shape: [1], data: exactValues(1) } }, { deflate: true });
  await writeSafetensors(path.join(dir, 'out.safetensors'), { a: { shape: [1], dtype: 'F32', data: exactValues(1) } });
  assert.deepEqual(readdirSync(dir).sort(), ['out.npy', 'out.npz', 'out.safetensors']);
});

test('a failed write is an InputError and leaves the folder as it was', async () => {
  const dir = tempDir();
  const blocked = path.join(dir, 'taken');
  mkdirSync(blocked);
  await assertInputError(writeNpy(blocked, [1], exactValues(1)), blocked, /cannot write \(E\w+\)/);
  assert.deepEqual(readdirSync(dir), ['taken']);
  const missing = path.join(dir, 'no', 'such', 'folder.npy');
  await assertInputError(writeNpy(missing, [1], exactValues(1)), missing, /cannot write \(ENOENT\)/);
});

test('npy headers follow numpy: 64-byte aligned, newline-terminated, the version asked for', () => {
  for (const version of [1, 2, 3] as const) {
    const npy = encodeNpy([3, 5], exactValues(15), { version });
    const preamble = version === 1 ? 10 : 12;
    const headerLength = version === 1 ? npy.readUInt16LE(8) : npy.readUInt32LE(8);
    assert.equal(npy[6], version);
    assert.equal((preamble + headerLength) % 64, 0);
    assert.equal(npy[preamble + headerLength - 1], 0x0a);
    assert.equal(npy.length, preamble + headerLength + 15 * 4);
    assert.match(
      npy.toString('latin1', preamble, preamble + headerLength),
      /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3, 5\), \} *\n$/,
    );
  }
  assert.match(
    encodeNpy([4], Int32Array.from([1, 2, 3, 4]), { dtype: 'int64', bigEndian: true }).toString('latin1', 10, 40),
    /'descr': '>i8'/,
  );
});

test('encoders refuse data that does not fill the shape', () => {
  assert.throws(() => encodeNpy([2, 3], exactValues(5)), /does not hold 5 elements/);
  assert.throws(
    () => encodeSafetensors({ x: { shape: [2, 2], dtype: 'F16', data: exactValues(3) } }),
    /does not hold 3 elements/,
  );
});

test('safetensors: 8-byte aligned JSON header, tensors back to back in the order given', () => {
  const bytes = encodeSafetensors(
    {
      a: { shape: [3], dtype: 'F16', data: exactValues(3) },
      b: { shape: [2, 2], dtype: 'I64', data: Int32Array.from([1, 2, 3, 4]) },
    },
    { note: 'x' },
  );
  const length = Number(bytes.readBigUInt64LE(0));
  assert.equal(length % 8, 0);
  const header = JSON.parse(bytes.toString('utf8', 8, 8 + length));
  assert.deepEqual(header, {
    __metadata__: { note: 'x' },
    a: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
    b: { dtype: 'I64', shape: [2, 2], data_offsets: [6, 38] },
  });
  assert.equal(bytes.length, 8 + length + 38);
});

test('npz output is deterministic, and deflate shrinks compressible arrays', () => {
  const members = { zeros: { shape: [64, 64], data: new Float32Array(64 * 64) } };
  assert.deepEqual(encodeNpz(members), encodeNpz(members));
  assert.ok(encodeNpz(members, { deflate: true }).length * 10 < encodeNpz(members).length);
});
