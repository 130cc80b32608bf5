import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, openSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CancelledError } from '../../../../src/core/util/errors';
import { describeFile, findPairFile, readArrays, readCheckpoint } from '../../../../src/core/readers';
import { encodeNpy, encodeNpyHeader, writeNpy, type NpyDtype } from '../../../../src/core/writers';
import { assertInputError, exactValues, tempDir } from '../../../helpers/readerFixtures';

const dir = tempDir();
const at = (name: string): string => path.join(dir, name);

test('float16 and big-endian float32 arrays larger than one conversion chunk decode whole', async () => {
  // 2 x 600 x 1024 = 1,228,800 elements: two chunks of the reader's chunked conversion.
  const shape = [2, 600, 1024];
  const data = exactValues(2 * 600 * 1024);
  for (const [dtype, bigEndian] of [
    ['float16', false],
    ['float32', true],
  ] as [NpyDtype, boolean][]) {
    const file = at(`chunks-${dtype}-${bigEndian}.npy`);
    await writeNpy(file, shape, data, { dtype, bigEndian });
    const [only] = (await readArrays(file)).values();
    assert.deepEqual(only.data, data, file);
  }
});

test('npy round trips every dtype, byte order, memory order and format version', async () => {
  const shape = [2, 3, 5];
  const data = exactValues(30);
  for (const dtype of ['float16', 'float32', 'float64'] as NpyDtype[]) {
    for (const bigEndian of [false, true]) {
      for (const fortranOrder of [false, true]) {
        for (const version of [1, 2, 3] as const) {
          const file = at(`rt-${dtype}-${bigEndian}-${fortranOrder}-${version}.npy`);
          await writeNpy(file, shape, data, { dtype, bigEndian, fortranOrder, version });
          const [only] = (await readArrays(file)).values();
          assert.deepEqual(only.shape, shape);
          assert.equal(only.dtype, dtype);
          assert.deepEqual(only.data, data, file);
        }
      }
    }
  }
});

test('fortran_order data is transposed to row-major', async () => {
  // Written by hand, column by column, so the reader is checked independently of the writer.
  const columnMajor = Float32Array.from([1, 4, 2, 5, 3, 6]);
  const file = at('fortran.npy');
  writeFileSync(
    file,
    Buffer.concat([
      encodeNpyHeader({ descr: '<f4', fortranOrder: true, shape: [2, 3] }),
      Buffer.from(columnMajor.buffer),
    ]),
  );
  const [only] = (await readArrays(file)).values();
  assert.deepEqual(only.data, Float32Array.from([1, 2, 3, 4, 5, 6]));
});

test('integer arrays read as int32, from int64 and big-endian too', async () => {
  const index = Int32Array.from([0, 0, 1, 2, -3, 2147483647]);
  for (const dtype of ['int32', 'int64'] as NpyDtype[]) {
    for (const bigEndian of [false, true]) {
      const file = at(`int-${dtype}-${bigEndian}.npy`);
      await writeNpy(file, [6], index, { dtype, bigEndian });
      const [only] = (await readArrays(file)).values();
      assert.equal(only.dtype, dtype);
      assert.deepEqual(only.data, index);
    }
  }
});

test('a (2, N, D) file is [image, text]', async () => {
  const data = exactValues(2 * 4 * 3);
  const file = at('stacked.npy');
  await writeNpy(file, [2, 4, 3], data);
  const cp = await readCheckpoint([file]);
  assert.deepEqual(cp.files, [file]);
  assert.deepEqual([cp.image.rows, cp.image.cols, cp.text.rows, cp.text.cols], [4, 3, 4, 3]);
  assert.deepEqual(cp.image.data, data.subarray(0, 12));
  assert.deepEqual(cp.text.data, data.subarray(12));
  assert.deepEqual(cp.warnings, []);
});

test('a one-modality file finds its partner beside it, whichever half is opened', async () => {
  const image = exactValues(12, 1);
  const text = exactValues(12, 5);
  await writeNpy(at('run1_image.npy'), [4, 3], image);
  await writeNpy(at('run1_text.npy'), [4, 3], text);
  assert.equal(findPairFile(at('run1_image.npy')), at('run1_text.npy'));
  for (const opened of ['run1_image.npy', 'run1_text.npy']) {
    const cp = await readCheckpoint([at(opened)]);
    assert.deepEqual(cp.image.data, image, opened);
    assert.deepEqual(cp.text.data, text, opened);
  }
});

test('findPairFile swaps img/txt keeping the case, and finds nothing when no partner exists', async () => {
  await writeNpy(at('Emb_IMG.npy'), [1, 2], exactValues(2));
  await writeNpy(at('Emb_TXT.npy'), [1, 2], exactValues(2));
  assert.equal(findPairFile(at('Emb_TXT.npy')), at('Emb_IMG.npy'));
  await writeNpy(at('lonely_image.npy'), [1, 2], exactValues(2));
  assert.equal(findPairFile(at('lonely_image.npy')), undefined);
  assert.equal(findPairFile(at('neither.npy')), undefined);
});

test('two files: image/text told by name, else the first is the image', async () => {
  const a = exactValues(6, 2);
  const b = exactValues(6, 3);
  await writeNpy(at('q_txt.npy'), [2, 3], a);
  await writeNpy(at('q_img.npy'), [2, 3], b);
  const named = await readCheckpoint([at('q_txt.npy'), at('q_img.npy')]);
  assert.deepEqual([named.image.data, named.text.data], [b, a]);
  await writeNpy(at('first.npy'), [2, 3], a);
  await writeNpy(at('second.npy'), [2, 3], b);
  const ordered = await readCheckpoint([at('first.npy'), at('second.npy')]);
  assert.deepEqual([ordered.image.data, ordered.text.data], [a, b]);
});

test('describeFile lists the header without reading the data', async () => {
  const file = at('described.npy');
  await writeNpy(file, [2, 3, 4], exactValues(24), { dtype: 'float16' });
  // Cut the data short: a header-only listing must not notice.
  const full = encodeNpy([2, 3, 4], exactValues(24), { dtype: 'float16' });
  writeFileSync(file, full.subarray(0, full.length - 10));
  const info = await describeFile(file);
  assert.deepEqual(info, {
    format: 'npy',
    sizeBytes: full.length - 10,
    arrays: [{ name: 'described', shape: [2, 3, 4], dtype: 'float16' }],
    metadata: undefined,
  });
});

test('progress runs up to 1 and a cancelled token stops the read', async () => {
  const file = at('progress.npy');
  await writeNpy(file, [2, 8, 4], exactValues(64));
  const seen: number[] = [];
  await readCheckpoint([file], { onProgress: (f) => seen.push(f) });
  assert.ok(seen.length > 0 && seen.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= seen[i - 1])), String(seen));
  assert.equal(seen.at(-1), 1);
  await assert.rejects(readCheckpoint([file], { token: { isCancellationRequested: true } }), CancelledError);
});

test('refused: empty file, bad magic, unknown version, unknown extension, missing file', async () => {
  writeFileSync(at('empty.npy'), '');
  await assertInputError(readCheckpoint([at('empty.npy')]), at('empty.npy'), /empty file/);
  writeFileSync(at('text.npy'), 'hello, this is not numpy at all');
  await assertInputError(readCheckpoint([at('text.npy')]), at('text.npy'), /not a numpy \.npy array/);
  const v4 = encodeNpy([1, 2], exactValues(2));
  v4[6] = 4;
  writeFileSync(at('v4.npy'), v4);
  await assertInputError(readCheckpoint([at('v4.npy')]), at('v4.npy'), /version 4\.0/);
  writeFileSync(at('data.csv'), '1,2\n');
  await assertInputError(readCheckpoint([at('data.csv')]), at('data.csv'), /unknown file type '\.csv'/);
  await assertInputError(readCheckpoint([at('absent.npy')]), at('absent.npy'), /no such file/);
});

test('refused: a header that promises more data than the file holds', async () => {
  const full = encodeNpy([2, 5, 4], exactValues(40));
  const file = at('lying.npy');
  const kept = 100;
  writeFileSync(file, full.subarray(0, full.length - 160 + kept));
  await assertInputError(
    readCheckpoint([file]),
    file,
    new RegExp(`^truncated: header says \\(2, 5, 4\\) float32 = 160 bytes, file has ${kept} after the header$`),
  );
});

test('refused: pickled object arrays, structured dtypes, headers that are not literals', async () => {
  const cases: [string, string, RegExp][] = [
    [
      "{'descr': '|O', 'fortran_order': False, 'shape': (2, 3), }",
      'pickled.npy',
      /pickled object arrays are refused, not unpickled/,
    ],
    ["{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 'structured.npy', /structured array/],
    [
      "{'descr': __import__('os').system('x'), 'fortran_order': False, 'shape': (2,), }",
      'code.npy',
      /invalid \.npy header/,
    ],
    ["{'descr': '<f4', 'shape': (2, 3), }", 'nokey.npy', /'fortran_order' is missing/],
    [
      "{'descr': '<U7', 'fortran_order': False, 'shape': (2, 3), }",
      'strings.npy',
      /holds only strings \('strings', str \(2, 3\)\), no embeddings/,
    ],
  ];
  for (const [dict, name, problem] of cases) {
    const header = Buffer.alloc(128, 0x20);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(header);
    header.writeUInt16LE(118, 8);
    header.write(dict, 10, 'latin1');
    header[127] = 0x0a;
    writeFileSync(at(name), Buffer.concat([header, Buffer.alloc(48)]));
    await assertInputError(readCheckpoint([at(name)]), at(name), problem);
  }
});

test('refused: shapes other than (N, D) and (2, N, D), empty arrays, integer embeddings', async () => {
  const cases: [string, number[], Float32Array | Int32Array, RegExp][] = [
    ['three.npy', [3, 2, 2], exactValues(12), /shape \(3, 2, 2\), which is neither \(N, D\) nor \(2, N, D\)/],
    ['flat.npy', [6], exactValues(6), /shape \(6,\), which is neither/],
    ['zero-n.npy', [2, 0, 4], new Float32Array(0), /empty: shape \(0, 4\)/],
    ['ints.npy', [2, 2, 2], Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), /dtype int32; embeddings must be floats/],
  ];
  for (const [name, shape, data, problem] of cases) {
    await writeNpy(at(name), shape, data);
    await assertInputError(readCheckpoint([at(name)]), at(name), problem);
  }
  await writeNpy(at('alone.npy'), [3, 2], exactValues(6));
  await assertInputError(
    readCheckpoint([at('alone.npy')]),
    at('alone.npy'),
    /one modality only, and no file with the other one/,
  );
});

test('refused: a file that changes on disk while it is being read', async () => {
  const file = at('growing.npy');
  await writeNpy(file, [2, 4, 4], exactValues(32));
  let touched = false;
  const grow = (): void => {
    if (!touched) appendFileSync(file, Buffer.alloc(64));
    touched = true;
  };
  await assertInputError(readCheckpoint([file], { onProgress: grow }), file, /changed on disk while being read/);
});

/** A .npy header whose dict, padded with spaces and a newline as numpy pads it, is `length` bytes. */
function paddedHeader(version: 1 | 2, length: number, shape: number[]): Buffer {
  const preamble = version === 1 ? 10 : 12;
  const header = Buffer.alloc(preamble + length, 0x20);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(header);
  if (version === 1) header.writeUInt16LE(length, 8);
  else header.writeUInt32LE(length, 8);
  header.write(`{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`, preamble, 'latin1');
  header[header.length - 1] = 0x0a;
  return header;
}

test("refused before it is read: a .npy header over numpy's 10,000 bytes", async () => {
  const data = Buffer.from(exactValues(24).buffer);
  writeFileSync(at('header-10000.npy'), Buffer.concat([paddedHeader(1, 10_000, [2, 3, 4]), data]));
  assert.equal((await readCheckpoint([at('header-10000.npy')])).image.rows, 3);

  writeFileSync(at('header-10001.npy'), Buffer.concat([paddedHeader(1, 10_001, [2, 3, 4]), data]));
  await assertInputError(
    readCheckpoint([at('header-10001.npy')]),
    at('header-10001.npy'),
    /^the file declares a 10001-byte \.npy header; .* over 10000 bytes$/,
  );
  // 1.5 GB declared in a file of a few hundred bytes: refused for its length, not read to find it missing.
  const huge = paddedHeader(2, 116, [2, 3, 4]);
  huge.writeUInt32LE(1_500_000_000, 8);
  writeFileSync(at('header-huge.npy'), Buffer.concat([huge, data]));
  await assertInputError(
    describeFile(at('header-huge.npy')),
    at('header-huge.npy'),
    /declares a 1500000000-byte \.npy header/,
  );
});

test('refused without waiting for a writer: a named pipe', { skip: process.platform === 'win32' }, async () => {
  const fifo = at('pipe.npy');
  execFileSync('mkfifo', [fifo]);
  // A blocking open of the pipe would wait for a writer for ever; this one ends the wait, and records that it had to.
  let waited = false;
  const writer = setTimeout(() => {
    waited = true;
    closeSync(openSync(fifo, 'w'));
  }, 2000);
  try {
    await assertInputError(readCheckpoint([fifo]), fifo, /^not a regular file$/);
  } finally {
    clearTimeout(writer);
  }
  assert.equal(waited, false, 'the reader waited for a writer on the pipe');
});

test('a float64 value beyond float32 range is refused, not skipped as if the file held Inf', async () => {
  const file = at('f64-huge.npy');
  const values = new Float64Array(2 * 4 * 3).fill(0.5);
  values[7] = 1e200;
  writeFileSync(
    file,
    Buffer.concat([
      encodeNpyHeader({ descr: '<f8', fortranOrder: false, shape: [2, 4, 3] }),
      Buffer.from(values.buffer),
    ]),
  );
  await assertInputError(readCheckpoint([file]), file, /holds the float64 value 1e\+200, beyond float32's range/);
  values[7] = 1e30; // within range: read as float32
  writeFileSync(
    file,
    Buffer.concat([
      encodeNpyHeader({ descr: '<f8', fortranOrder: false, shape: [2, 4, 3] }),
      Buffer.from(values.buffer),
    ]),
  );
  assert.equal((await readCheckpoint([file])).image.data[7], Math.fround(1e30));
});
