/** A minimal zip writer (stored or deflated members, no zip64): what numpy's savez produces. */
import * as zlib from 'node:zlib';
import { crc32 } from '../readers/crc32';

export interface ZipMemberInput {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
}

/** 1980-01-01 00:00, the zip epoch: fixed, so the same arrays always give the same bytes. */
const dosDate = 0x21;
const dosTime = 0;

export function encodeZip(members: ZipMemberInput[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const body = m.deflate ? zlib.deflateRawSync(m.data) : Buffer.from(m.data.buffer, m.data.byteOffset, m.data.length);
    const crc = crc32(m.data);
    const flags = /^[\x20-\x7e]*$/.test(m.name) ? 0 : 0x800;
    const method = m.deflate ? 8 : 0;
    if (offset + 30 + name.length + body.length > 0xffffffff || m.data.length > 0xffffffff) {
      throw new Error('encodeZip: archives over 4 GiB need zip64, which this writer does not produce');
    }

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(m.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += 30 + name.length + body.length;
  }
  const cdSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}
