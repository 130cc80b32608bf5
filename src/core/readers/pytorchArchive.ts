/**
 * A .pt/.pth file written by torch.save (>= 1.6): a zip holding `<folder>/data.pkl`, the pickled
 * object, and `<folder>/data/<key>`, one member per storage. The pickle goes through the restricted
 * unpickler; the tensors it names become the arrays of an OpenedArrays, read on demand.
 */
import * as path from 'node:path';
import type { CancelToken } from '../util/cancel';
import { InputError } from '../util/errors';
import type { OpenFile } from './fileAccess';
import { pytorchNamedContents } from './pytorchContents';
import { readPytorchTensor, type StorageBytes } from './pytorchTensor';
import { unpickleRestricted } from './restrictedUnpickler';
import type { ArraySource, OpenedArrays } from './types';
import { dataStart, readZipDirectory, readZipMember, type ZipEntry } from './zip';

const zipMagic = 0x04034b50;

/** The pickle of a checkpoint of embeddings is a few KB; a larger one is a model's worth of Python objects. */
const maxPickleBytes = 64 * 1024 * 1024;

async function refuseIfNotZip(f: OpenFile): Promise<void> {
  const head = await f.read(0, Math.min(f.size, 4), 'the file signature');
  if (head.length === 4 && head.readUInt32LE(0) === zipMagic) return;
  // torch < 1.6 (or _use_new_zipfile_serialization=False) wrote a bare pickle stream, whose first opcode is PROTO (0x80).
  if (head[0] === 0x80) {
    throw new InputError(
      f.file,
      'is in the legacy torch.save format (before torch 1.6), which is read only by running its pickle; re-save it with torch >= 1.6: torch.save(torch.load(path), path)',
    );
  }
  throw new InputError(
    f.file,
    'is not a torch.save zip archive (no zip signature at its start); .pt/.pth files are read as written by torch.save since torch 1.6',
  );
}

/** The one `<folder>/data.pkl`: torch names the folder after the file, but any name is accepted. */
function findPickle(file: string, entries: ZipEntry[]): { pickle: ZipEntry; folder: string } {
  const pickles = entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pickles.length !== 1) {
    const found = pickles.length ? pickles.map((e) => e.name).join(', ') : 'none';
    throw new InputError(
      file,
      `is a zip archive but not a torch.save one: it needs exactly one <folder>/data.pkl (found ${found})`,
    );
  }
  return { pickle: pickles[0], folder: pickles[0].name.slice(0, -'/data.pkl'.length) };
}

async function byteOrderOf(f: OpenFile, entries: ZipEntry[], folder: string, budget: number): Promise<boolean> {
  const entry = entries.find((e) => e.name === `${folder}/byteorder`);
  // Archives before torch 1.13 carry no byteorder record: they were written little-endian.
  if (!entry) return false;
  const order = (await readZipMember(f, entry, Math.min(budget, 16))).toString('latin1');
  if (order !== 'little' && order !== 'big')
    throw new InputError(f.file, `${entry.name} says '${order}', neither little nor big`);
  return order === 'big';
}

/** A storage's bytes: straight from the file for stored members (what torch writes), inflated once for deflated ones. */
function storageBytes(f: OpenFile, entry: ZipEntry, budget: number, token?: CancelToken): StorageBytes {
  let inflated: Promise<Buffer> | undefined;
  return {
    size: entry.size,
    name: entry.name,
    async read(offset, target, what) {
      if (entry.method === 0) return f.readInto((await dataStart(f, entry)) + offset, target, what);
      inflated ??= readZipMember(f, entry, budget, token);
      target.set((await inflated).subarray(offset, offset + target.length));
    },
  };
}

export async function openPytorchArchive(
  f: OpenFile,
  memoryBudgetBytes: number,
  token?: CancelToken,
): Promise<OpenedArrays> {
  await refuseIfNotZip(f);
  const entries = await readZipDirectory(f);
  const { pickle, folder } = findPickle(f.file, entries);
  const member = pickle.name;
  const pickleBudget = Math.min(maxPickleBytes, memoryBudgetBytes);
  if (pickle.size > pickleBudget) {
    throw new InputError(
      f.file,
      `${member} is ${pickle.size} bytes, over the ${pickleBudget} a pickle of tensors needs; it holds more than tensors`,
    );
  }
  const bigEndian = await byteOrderOf(f, entries, folder, memoryBudgetBytes);
  const value = unpickleRestricted(await readZipMember(f, pickle, pickleBudget, token), f.file, member);
  const contents = pytorchNamedContents(value, path.basename(f.file, path.extname(f.file)), f.file);
  const byName = new Map(entries.map((e) => [e.name, e]));

  const arrays: ArraySource[] = contents.tensors.map(({ name, tensor }) => {
    const info = { name, shape: tensor.shape, dtype: tensor.storage.dtype };
    return {
      info,
      async load() {
        const entry = byName.get(`${folder}/data/${tensor.storage.key}`);
        if (!entry)
          throw new InputError(
            f.file,
            `tensor '${name}' needs storage ${folder}/data/${tensor.storage.key}, which the archive lacks`,
          );
        const source = storageBytes(f, entry, memoryBudgetBytes, token);
        return {
          ...info,
          data: await readPytorchTensor(tensor, source, { name, file: f.file, bigEndian, memoryBudgetBytes }),
        };
      },
    };
  });
  for (const { name, strings } of contents.strings) {
    const info = { name, shape: [strings.length], dtype: 'str' };
    arrays.push({
      info,
      load: () => Promise.reject(new InputError(f.file, `'${name}' is a list of strings, not a tensor`)),
      loadStrings: async () => strings,
    });
  }
  return { format: 'pt', arrays };
}
