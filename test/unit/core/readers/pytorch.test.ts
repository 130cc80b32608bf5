import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { describeFile, readCheckpoint } from '../../../../src/core/readers';
import { encodeZip } from '../../../../src/core/writers';
import { pytorchSkip, writePytorchFixtures } from '../../../helpers/pytorchFixtures';
import { assertInputError, exactValues, tempDir } from '../../../helpers/readerFixtures';

const pairs = 5;
const dim = 4;
const image = exactValues(pairs * dim, 1);
const text = exactValues(pairs * dim, 4);
const dir = tempDir();
const at = (name: string): string => path.join(dir, name);

describe('.pt files written by torch.save', { skip: pytorchSkip }, () => {
  before(() => writePytorchFixtures(dir, pairs, dim));

  for (const name of ['stacked.pt', 'tuple.pth', 'list.pt', 'features.pt', 'ordered.pt', 'views.pt', 'bfloat16.pt']) {
    test(`${name} reads as the pairs it holds`, async () => {
      const cp = await readCheckpoint([at(name)]);
      assert.deepEqual([cp.image.rows, cp.image.cols, cp.text.rows], [pairs, dim, pairs]);
      assert.deepEqual(cp.image.data, image);
      assert.deepEqual(cp.text.data, text);
    });
  }

  test('a (N, D) tensor per file pairs up by name, as .npy files do', async () => {
    const cp = await readCheckpoint([at('clip_image.pt')]);
    assert.deepEqual(cp.files, [at('clip_image.pt'), at('clip_text.pt')]);
    assert.deepEqual(cp.text.data, text);
  });

  test('captions in a list of strings label the texts; dtypes are those of the storages', async () => {
    const cp = await readCheckpoint([at('ordered.pt')]);
    assert.equal(cp.captions?.[3], 'caption 3');
    const listed = await describeFile(at('ordered.pt'));
    assert.deepEqual(
      listed.arrays.map((a) => `${a.name} ${a.shape.join('x')} ${a.dtype}`),
      ['image_embeds 5x4 float64', 'text_embeds 5x4 float16', 'captions 5 str'],
    );
    assert.equal((await describeFile(at('bfloat16.pt'))).arrays[0].dtype, 'bfloat16');
  });

  test('nested dicts are searched by dotted name, and the image key may name one', async () => {
    const cp = await readCheckpoint([at('nested.pt')], {
      imageKeys: ['embeddings.image_features'],
      textKeys: ['embeddings.text_features'],
    });
    assert.deepEqual(cp.image.data, image);
  });

  test('a state dict: one line listing the keys and shapes it holds', async () => {
    await assertInputError(
      readCheckpoint([at('state_dict.pt')]),
      at('state_dict.pt'),
      /no image\/text embeddings found: it holds 0\.weight \(3, 4\), 0\.bias \(3,\), 1\.weight \(3,\), .*1\.num_batches_tracked \(\)/,
    );
  });

  test('a pickled model is refused by its first forbidden global', async () => {
    await assertInputError(
      readCheckpoint([at('whole_model.pt')]),
      at('whole_model.pt'),
      /refuses pickle global torch\.nn\.modules\.container\.Sequential/,
    );
  });

  test('a pickle naming os.system is refused, and nothing runs', async () => {
    await assertInputError(
      readCheckpoint([at('global_os_system.pt')]),
      at('global_os_system.pt'),
      /^evil\/data\.pkl: refuses pickle global os\.system /,
    );
    await assertInputError(
      readCheckpoint([at('reduce_os_system.pt')]),
      at('reduce_os_system.pt'),
      /refuses pickle global posix\.system /,
    );
    await assertInputError(
      describeFile(at('tensors_then_os_system.pt')),
      at('tensors_then_os_system.pt'),
      /refuses pickle global posix\.system /,
    );
    assert.ok(!existsSync(at('pwned')));
  });

  test('legacy, truncated and non-torch files: one line each', async () => {
    await assertInputError(
      readCheckpoint([at('legacy.pt')]),
      at('legacy.pt'),
      /legacy torch\.save format .* re-save it with torch >= 1\.6/,
    );
    await assertInputError(readCheckpoint([at('truncated.pt')]), at('truncated.pt'), /truncated/);
    const notZip = at('text.pt');
    writeFileSync(notZip, 'hello');
    await assertInputError(readCheckpoint([notZip]), notZip, /not a torch\.save zip archive/);
  });

  test('a storage too short for its tensor is refused, not read past', async () => {
    const bytes = readFileSync(at('stacked.pt'));
    const members = [
      { name: 'cut/data.pkl', data: zipMember(bytes, 'stacked/data.pkl') },
      { name: 'cut/data/0', data: zipMember(bytes, 'stacked/data/0').subarray(0, 16) },
    ];
    const file = at('cut.pt');
    writeFileSync(file, encodeZip(members));
    await assertInputError(readCheckpoint([file]), file, /tensor 'cut' has shape \(2, 5, 4\).* a storage of 4$/);
  });
});

describe('.pt archives built by hand', () => {
  const pickleOf = (ops: number[]): Buffer => Buffer.from([0x80, 0x02, ...ops, 0x2e]);

  test('path traversal and zip bombs are refused as for .npz', async () => {
    const traversal = at('traversal.pt');
    writeFileSync(traversal, encodeZip([{ name: '../x/data.pkl', data: pickleOf([0x4e]) }]));
    await assertInputError(readCheckpoint([traversal]), traversal, /unsafe path/);
    const bomb = at('bomb.pt');
    writeFileSync(bomb, encodeZip([{ name: 'bomb/data.pkl', data: Buffer.alloc(4 << 20), deflate: true }]));
    await assertInputError(
      readCheckpoint([bomb], { memoryBudgetBytes: 1 << 20 }),
      bomb,
      /over the 1048576 a pickle of tensors needs/,
    );
  });

  test('a pickle of no tensors, and one that is not a pickle', async () => {
    const none = at('none.pt');
    writeFileSync(none, encodeZip([{ name: 'none/data.pkl', data: pickleOf([0x4e]) }]));
    await assertInputError(readCheckpoint([none]), none, /holds a None, not tensors/);
    const garbage = at('garbage.pt');
    writeFileSync(garbage, encodeZip([{ name: 'garbage/data.pkl', data: Buffer.from([0x80, 0x02, 0x7d]) }]));
    await assertInputError(readCheckpoint([garbage]), garbage, /garbage\/data\.pkl: truncated pickle/);
    const newobj = at('newobj.pt');
    writeFileSync(newobj, encodeZip([{ name: 'n/data.pkl', data: pickleOf([0x29, 0x29, 0x81]) }]));
    await assertInputError(readCheckpoint([newobj]), newobj, /refuses pickle opcode NEWOBJ/);
  });
});

/** A stored member's bytes, found through the central directory of a zip written with ZIP_STORED. */
function zipMember(zip: Buffer, name: string): Buffer {
  const signature = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
  for (let p = zip.indexOf(signature); p >= 0; p = zip.indexOf(signature, p + 4)) {
    if (zip.toString('utf8', p + 46, p + 46 + zip.readUInt16LE(p + 28)) !== name) continue;
    const local = zip.readUInt32LE(p + 42);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    return zip.subarray(start, start + zip.readUInt32LE(p + 20));
  }
  throw new Error(`no member ${name}`);
}
