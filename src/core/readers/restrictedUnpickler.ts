/**
 * A pickle reader that builds data and never runs code, for the data.pkl of a torch.save archive.
 * Python's own unpickler calls whatever a global names; this one knows a handful of names (the
 * tensor rebuild functions, the storage types, OrderedDict) and refuses every other global the
 * moment its opcode is read, before anything after it is built. Tensors come out as descriptions
 * (storage key, offset, shape, strides): their bytes are read later, only once the whole pickle
 * has been accepted.
 */
import { InputError } from '../util/errors';

/** A storage named by a BINPERSID: the archive member `data/<key>` holding `dtype` elements. */
export interface StorageReference {
  kind: 'storage';
  key: string;
  dtype: string;
  /** Elements as the pickle declares them; checked against the member's size when read. */
  declaredElements: number;
}

/** A tensor as _rebuild_tensor_v2 would make it: a strided view of a storage. */
export interface TensorReference {
  kind: 'tensor';
  storage: StorageReference;
  storageOffset: number;
  shape: number[];
  strides: number[];
}

/** A global the reader accepts, kept as a name: calling it is the reader's own code, below. */
interface AllowedGlobal {
  kind: 'global';
  qualifiedName: string;
}

export class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}

/** A dict or OrderedDict. Keys that are not strings or numbers keep their own identity. */
export class PickleDict {
  readonly entries = new Map<PickleValue, PickleValue>();
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | PickleDict
  | AllowedGlobal
  | StorageReference
  | TensorReference;

/** torch's typed storage names and the numpy dtype names the rest of the readers use. */
export const storageDtypes: Record<string, string> = {
  DoubleStorage: 'float64',
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  // torch >= 2 pickles a storage saved on its own (not under a tensor) as untyped bytes.
  UntypedStorage: 'uint8',
};

const rebuildFunctions = new Set([
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
]);

function isAllowedGlobal(qualifiedName: string): boolean {
  if (rebuildFunctions.has(qualifiedName) || qualifiedName === 'collections.OrderedDict') return true;
  const storage = /^torch(?:\.storage)?\.(\w+)$/.exec(qualifiedName);
  return storage !== null && storage[1] in storageDtypes;
}

/** Opcodes whose job is to create instances of arbitrary classes, or that exist only in text protocols: never needed for tensors. */
const refusedOpcodes: Record<number, string> = {
  0x81: 'NEWOBJ',
  0x92: 'NEWOBJ_EX',
  0x69: 'INST',
  0x6f: 'OBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x50: 'PERSID',
  0x49: 'INT',
  0x4c: 'LONG',
  0x53: 'STRING',
  0x56: 'UNICODE',
  0x46: 'FLOAT',
  0x70: 'PUT',
  0x67: 'GET',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
};

const markObject = Symbol('mark');
type StackItem = PickleValue | typeof markObject;

/** Deep enough for any real checkpoint; a deeper stack is a crafted file spending memory. */
const maxStackItems = 1_000_000;

export function unpickleRestricted(bytes: Uint8Array, file: string, member: string): PickleValue {
  const fail = (problem: string): never => {
    throw new InputError(file, `${member}: ${problem}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let position = 0;
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();

  const need = (count: number): number => {
    if (count < 0 || position + count > bytes.length)
      fail(`truncated pickle (an opcode at byte ${position} needs ${count} more bytes)`);
    const at = position;
    position += count;
    return at;
  };
  const u8 = (): number => bytes[need(1)];
  const u16 = (): number => view.getUint16(need(2), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const u64 = (): number => {
    const value = view.getBigUint64(need(8), true);
    if (value > BigInt(bytes.length)) fail(`a length of ${value} bytes in a pickle of ${bytes.length}`);
    return Number(value);
  };
  const raw = (length: number): Uint8Array => bytes.subarray(need(length), position);
  const utf8 = (length: number): string => {
    try {
      return decoder.decode(raw(length));
    } catch {
      return fail(`a string that is not valid UTF-8 at byte ${position - length}`);
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, position);
    if (end < 0) fail('truncated pickle (a GLOBAL name has no end of line)');
    return Buffer.from(raw(end - position + 1).subarray(0, -1)).toString('latin1');
  };
  const push = (value: StackItem): void => {
    if (stack.length >= maxStackItems) fail(`more than ${maxStackItems} items on the pickle stack`);
    stack.push(value);
  };
  const pop = (): PickleValue => {
    const value = stack.pop();
    if (value === undefined) fail(`pickle stack underflow at byte ${position}`);
    if (value === markObject) fail(`unexpected MARK at byte ${position}`);
    return value as PickleValue;
  };
  const top = (): PickleValue => {
    const value = stack[stack.length - 1];
    if (value === undefined || value === markObject) fail(`pickle stack underflow at byte ${position}`);
    return value as PickleValue;
  };
  const popToMark = (): PickleValue[] => {
    const mark = stack.lastIndexOf(markObject);
    if (mark < 0) fail(`no MARK before byte ${position}`);
    const items = stack.splice(mark) as PickleValue[];
    return items.slice(1);
  };
  const global = (module: string, name: string): AllowedGlobal => {
    const qualifiedName = `${module}.${name}`;
    // The whole point: refused here, before any later opcode could build with it.
    if (!isAllowedGlobal(qualifiedName))
      fail(
        `refuses pickle global ${qualifiedName} (a .pt file may hold tensors, dicts, lists, tuples, strings and numbers only)`,
      );
    return { kind: 'global', qualifiedName };
  };
  const setItems = (target: PickleValue, items: PickleValue[]): void => {
    if (!(target instanceof PickleDict)) fail(`SETITEM on a ${typeName(target)}, not a dict`);
    if (items.length % 2) fail('SETITEMS with an odd number of items');
    for (let k = 0; k < items.length; k += 2) (target as PickleDict).entries.set(items[k], items[k + 1]);
  };
  const append = (target: PickleValue, items: PickleValue[]): void => {
    if (!Array.isArray(target)) fail(`APPEND on a ${typeName(target)}, not a list`);
    for (const item of items) (target as PickleValue[]).push(item);
  };

  for (;;) {
    const at = position;
    const opcode = u8();
    switch (opcode) {
      case 0x80: // PROTO
        if (u8() > 5) fail('pickle protocol newer than 5');
        break;
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`pickle ends with ${stack.length} items on its stack, not 1`);
        return pop();
      case 0x28: // MARK
        push(markObject);
        break;
      case 0x30: // POP
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popToMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
        push(littleEndianSigned(raw(u8())));
        break;
      case 0x8b: // LONG4
        push(littleEndianSigned(raw(u32())));
        break;
      case 0x47: // BINFLOAT: big-endian, unlike everything else
        push(view.getFloat64(need(8), false));
        break;
      case 0x58: // BINUNICODE
        push(utf8(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(utf8(u8()));
        break;
      case 0x8d: // BINUNICODE8
        push(utf8(u64()));
        break;
      case 0x54: // BINSTRING (Python 2 str)
        push(Buffer.from(raw(u32())).toString('latin1'));
        break;
      case 0x55: // SHORT_BINSTRING
        push(Buffer.from(raw(u8())).toString('latin1'));
        break;
      case 0x42: // BINBYTES
        push(raw(u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        push(raw(u8()));
        break;
      case 0x8e: // BINBYTES8
        push(raw(u64()));
        break;
      case 0x7d: // EMPTY_DICT
        push(new PickleDict());
        break;
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        push(new PickleTuple([]));
        break;
      case 0x74: // TUPLE
        push(new PickleTuple(popToMark()));
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const items = Array.from({ length: opcode - 0x84 }, () => pop()).reverse();
        push(new PickleTuple(items));
        break;
      }
      case 0x6c: // LIST
        push(popToMark());
        break;
      case 0x64: {
        // DICT
        const dict = new PickleDict();
        setItems(dict, popToMark());
        push(dict);
        break;
      }
      case 0x61: {
        // APPEND
        const item = pop();
        append(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popToMark();
        append(top(), items);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popToMark();
        setItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const index = opcode === 0x68 ? u8() : u32();
        if (!memo.has(index)) fail(`pickle refers to memo entry ${index}, which was never stored`);
        push(memo.get(index)!);
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          fail('STACK_GLOBAL with a module or name that is not a string');
        push(global(module as string, name as string));
        break;
      }
      case 0x51: // BINPERSID
        push(persistentStorage(pop(), fail));
        break;
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        push(callAllowed(callable, args, fail));
        break;
      }
      case 0x62: {
        // BUILD: OrderedDict's attributes (a state dict's _metadata) say nothing about the tensors
        pop();
        const target = top();
        if (!(target instanceof PickleDict) && !isTensor(target)) fail(`BUILD on a ${typeName(target)}`);
        break;
      }
      default: {
        const name = refusedOpcodes[opcode];
        fail(
          name
            ? `refuses pickle opcode ${name} at byte ${at} (it builds objects that are not tensors)`
            : `unknown pickle opcode 0x${opcode.toString(16)} at byte ${at}`,
        );
      }
    }
  }
}

function littleEndianSigned(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let k = bytes.length - 1; k >= 0; k--) value = (value << 8n) | BigInt(bytes[k]);
  if (bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

export function isTensor(value: unknown): value is TensorReference {
  return typeof value === 'object' && value !== null && (value as TensorReference).kind === 'tensor';
}

function isGlobal(value: unknown): value is AllowedGlobal {
  return typeof value === 'object' && value !== null && (value as AllowedGlobal).kind === 'global';
}

/** Python's name for what a pickle value is, for messages. */
export function typeName(value: PickleValue | undefined): string {
  if (value === null || value === undefined) return 'None';
  if (Array.isArray(value)) return 'list';
  if (value instanceof PickleTuple) return 'tuple';
  if (value instanceof PickleDict) return 'dict';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'bigint') return 'int';
  if (value.kind === 'global') return value.qualifiedName;
  return value.kind === 'tensor' ? 'tensor' : 'storage';
}

const isCount = (v: PickleValue): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** torch's persistent id: ('storage', storage_type, key, location, numel). */
function persistentStorage(pid: PickleValue, fail: (problem: string) => never): StorageReference {
  const items = pid instanceof PickleTuple ? pid.items : undefined;
  if (!items || items.length !== 5 || items[0] !== 'storage') fail('a persistent id that is not a torch storage');
  const [, type, key, , elements] = items!;
  if (!isGlobal(type)) return fail(`a storage whose type is a ${typeName(type)}`);
  const dtype = storageDtypes[type.qualifiedName.split('.').pop()!];
  if (!dtype) fail(`a storage of type ${type.qualifiedName}, not a storage type`);
  if (typeof key !== 'string' || !/^\w+$/.test(key)) fail('a storage key that is not a plain name');
  if (!isCount(elements)) fail('a storage size that is not a non-negative integer');
  return { kind: 'storage', key: key as string, dtype, declaredElements: elements as number };
}

function countList(value: PickleValue, what: string, fail: (problem: string) => never): number[] {
  const items = value instanceof PickleTuple ? value.items : Array.isArray(value) ? value : undefined;
  if (!items || !items.every(isCount)) fail(`a tensor ${what} that is not a tuple of non-negative integers`);
  return items as number[];
}

function callAllowed(callable: PickleValue, args: PickleValue, fail: (problem: string) => never): PickleValue {
  if (!isGlobal(callable)) return fail(`REDUCE calls a ${typeName(callable)}, which is not callable`);
  if (!(args instanceof PickleTuple)) return fail(`REDUCE with arguments that are a ${typeName(args)}, not a tuple`);
  const a = args.items;
  switch (callable.qualifiedName) {
    case 'collections.OrderedDict': {
      const dict = new PickleDict();
      if (a.length > 0) fail('OrderedDict called with arguments');
      return dict;
    }
    case 'torch._utils._rebuild_parameter':
      if (!isTensor(a[0])) fail('_rebuild_parameter without a tensor');
      return a[0];
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2': {
      const [storage, offset, size, stride] = a;
      if (
        a.length < 4 ||
        typeof storage !== 'object' ||
        storage === null ||
        (storage as StorageReference).kind !== 'storage'
      ) {
        fail(`${callable.qualifiedName} without a storage`);
      }
      if (!isCount(offset)) fail('a tensor storage offset that is not a non-negative integer');
      const shape = countList(size, 'size', fail);
      const strides = countList(stride, 'stride', fail);
      if (shape.length !== strides.length)
        fail(`a tensor of ${shape.length} dimensions with ${strides.length} strides`);
      return { kind: 'tensor', storage: storage as StorageReference, storageOffset: offset as number, shape, strides };
    }
    default:
      return fail(`calls ${callable.qualifiedName}, which only names a storage type`);
  }
}
