/** The .npy format (versions 1.0, 2.0 and 3.0): magic, a Python-literal header dict, then raw data. */
import { InputError } from '../util/errors';
import {
  decodeElements,
  elementCount,
  fortranToRowMajor,
  isFloatType,
  isIntType,
  isStringType,
  npyElementType,
  shapeText,
  type ElementType,
} from './dtypes';
import { parsePyLiteral, PyLiteralError } from './pyLiteral';

export const npyMagic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

export interface NpyHeader {
  type: ElementType;
  fortranOrder: boolean;
  shape: number[];
  /** Where the data starts, from the start of the .npy bytes. */
  dataOffset: number;
}

/** Bytes that must be present before parseNpyHeader can run: the prefix of the longest (v2/v3) preamble. */
export const npyPreambleBytes = 12;

/** Messages speak of the file itself, or of the .npz member being read. */
const subject = (member: string | undefined): string => (member === undefined ? 'the file' : `member '${member}'`);

/**
 * numpy (since 1.24) refuses to load a header dict longer than this (np.load's max_header_size): a
 * real header is a few hundred bytes, and a longer one would only cost memory to read and parse.
 */
const npyMaxHeaderBytes = 10_000;

/** The header's total length (magic to data), from the first npyPreambleBytes bytes. */
export function npyHeaderEnd(prefix: Uint8Array, file: string, member?: string): number {
  const what = subject(member);
  if (prefix.length < 10 || !npyMagic.equals(prefix.subarray(0, 6))) {
    throw new InputError(file, `${what} is not a numpy .npy array (it does not start with \\x93NUMPY)`);
  }
  const major = prefix[6];
  if (major !== 1 && major !== 2 && major !== 3) {
    throw new InputError(file, `${what} has .npy format version ${major}.${prefix[7]}, which is not 1.0, 2.0 or 3.0`);
  }
  const preamble = major === 1 ? 10 : 12;
  if (prefix.length < preamble) throw new InputError(file, `truncated: ${what} ends inside its .npy header`);
  const bytes = Buffer.from(prefix.buffer, prefix.byteOffset, prefix.length);
  const length = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  if (length > npyMaxHeaderBytes) {
    throw new InputError(
      file,
      `${what} declares a ${length}-byte .npy header; like numpy, Embedding Lens refuses headers over ${npyMaxHeaderBytes} bytes`,
    );
  }
  return preamble + length;
}

/** Parses the header; `bytes` must hold at least npyHeaderEnd(bytes) bytes. */
export function parseNpyHeader(bytes: Uint8Array, file: string, member?: string): NpyHeader {
  const what = subject(member);
  const end = npyHeaderEnd(bytes, file, member);
  if (bytes.length < end) throw new InputError(file, `truncated: ${what} ends inside its .npy header`);
  const start = bytes[6] === 1 ? 10 : 12;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString(
    bytes[6] === 3 ? 'utf8' : 'latin1',
  );
  const bad = (problem: string): InputError => new InputError(file, `${what} has an invalid .npy header: ${problem}`);
  let dict;
  try {
    dict = parsePyLiteral(text);
  } catch (err) {
    if (err instanceof PyLiteralError) throw bad(err.message);
    throw err;
  }
  if (!(dict instanceof Map)) throw bad('not a dict');
  const descr = dict.get('descr');
  const fortranOrder = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (Array.isArray(descr))
    throw new InputError(file, `${what} is a structured array (record dtype), not a plain numeric array`);
  if (typeof descr !== 'string') throw bad("'descr' is missing or not a string");
  if (typeof fortranOrder !== 'boolean') throw bad("'fortran_order' is missing or not True/False");
  if (!Array.isArray(shape) || !shape.every((d): d is number => typeof d === 'number' && d >= 0)) {
    throw bad("'shape' is missing or not a tuple of non-negative integers");
  }
  const type = npyElementType(descr);
  if (type === 'pickled') {
    throw new InputError(
      file,
      `${what} holds pickled Python objects (dtype '${descr}'); pickled object arrays are refused, not unpickled`,
    );
  }
  return { type, fortranOrder, shape, dataOffset: end };
}

/** Refuses data shorter than the header promises, naming the file or the member. */
function checkLength(header: NpyHeader, data: Uint8Array, file: string, member: string | undefined): void {
  const need = npyDataBytes(header);
  if (data.length >= need) return;
  const where = member === undefined ? ['', 'file'] : [` member '${member}'`, 'member'];
  throw new InputError(
    file,
    `truncated${where[0]}: header says ${shapeText(header.shape)} ${header.type.name} = ${need} bytes, ${where[1]} has ${data.length} after the header`,
  );
}

/** Decodes the data that follows the header; `data` starts at header.dataOffset. */
export function decodeNpyData(
  header: NpyHeader,
  data: Uint8Array,
  file: string,
  member?: string,
): Float32Array | Int32Array {
  const { type, shape } = header;
  const what = subject(member);
  if (!isFloatType(type.name) && !isIntType(type.name)) {
    throw new InputError(
      file,
      `${what} has dtype ${type.name}, which Embedding Lens cannot read (it reads floats, and integers as an index)`,
    );
  }
  checkLength(header, data, file, member);
  const flat = decodeElements(data, type, elementCount(shape), file, what);
  return header.fortranOrder ? fortranToRowMajor(flat, shape) : flat;
}

/**
 * A 1-D array of numpy strings (dtype U: UTF-32 code points; S: bytes, read as UTF-8), each cut at
 * its first NUL, the padding numpy fills fixed-width strings with.
 */
export function decodeNpyStrings(header: NpyHeader, data: Uint8Array, file: string, member?: string): string[] {
  const { type, shape } = header;
  const what = subject(member);
  if (!isStringType(type.name) || shape.length !== 1) {
    throw new InputError(
      file,
      `${what} is not a 1-D array of strings (dtype ${type.name}, shape ${shapeText(shape)}), so it cannot label the texts`,
    );
  }
  checkLength(header, data, file, member);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: string[] = [];
  for (let k = 0; k < shape[0]; k++) {
    const start = k * type.size;
    if (type.name === 'bytes') {
      const bytes = data.subarray(start, start + type.size);
      const nul = bytes.indexOf(0);
      out.push(Buffer.from(bytes.subarray(0, nul < 0 ? bytes.length : nul)).toString('utf8'));
      continue;
    }
    let text = '';
    for (let o = start; o < start + type.size; o += 4) {
      const code = view.getUint32(o, !type.bigEndian);
      if (code === 0) break;
      if (code > 0x10ffff)
        throw new InputError(file, `${what} holds an invalid code point (0x${code.toString(16)}) in string ${k}`);
      text += String.fromCodePoint(code);
    }
    out.push(text);
  }
  return out;
}

export function npyDataBytes(header: NpyHeader): number {
  return elementCount(header.shape) * header.type.size;
}
