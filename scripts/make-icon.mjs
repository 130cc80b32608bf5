// Draws media/icon.png (128×128, the Marketplace icon): the unit circle, a cone of image embeddings
// (blue) and one of text embeddings (orange) with the modality-gap arrow between their centres, on
// the gallery banner's colour. Plain Node (zlib for the PNG), 4×4 supersampling: node scripts/make-icon.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const N = 128;
const S = 4;
const bg = [0x14, 0x16, 0x1f];
const ring = [0x8a, 0x93, 0xa8];
const blue = [0x4c, 0x9a, 0xff];
const orange = [0xff, 0x9f, 0x43];
const white = [0xf2, 0xf4, 0xf8];

// Shapes in icon coordinates (0..128); each returns whether a point is inside.
const cx = 64;
const cy = 64;
const R = 50;
const shapes = [];
const circleRing = (r, w, color) =>
  shapes.push({ color, hit: (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - r) <= w / 2 });
const dot = (x0, y0, r, color) => shapes.push({ color, hit: (x, y) => Math.hypot(x - x0, y - y0) <= r });
const segment = (x0, y0, x1, y1, w, color) =>
  shapes.push({
    color,
    hit: (x, y) => {
      const dx = x1 - x0;
      const dy = y1 - y0;
      const t = Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy)));
      return Math.hypot(x - (x0 + t * dx), y - (y0 + t * dy)) <= w / 2;
    },
  });
const triangle = (p, color) =>
  shapes.push({
    color,
    hit: (x, y) => {
      const s = (a, b) => (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
      const d = [s(p[0], p[1]), s(p[1], p[2]), s(p[2], p[0])];
      return d.every((v) => v >= 0) || d.every((v) => v <= 0);
    },
  });

circleRing(R, 3, ring);
// Two cones on the circle: points along arcs around two directions about 0.85 rad apart (seeded).
let seed = 7;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const cone = (angle, color) => {
  for (let i = 0; i < 9; i++) {
    const a = angle + (rand() - 0.5) * 0.7;
    const r = R - 4 - rand() * 14;
    dot(cx + r * Math.cos(a), cy - r * Math.sin(a), 3.6, color);
  }
};
const imageAngle = (150 * Math.PI) / 180;
const textAngle = (30 * Math.PI) / 180;
cone(imageAngle, blue);
cone(textAngle, orange);
// The gap: centre of one cone to the other, with an arrow head.
const at = (angle, r) => [cx + r * Math.cos(angle), cy - r * Math.sin(angle)];
const [x0, y0] = at(imageAngle, R - 22);
const [x1, y1] = at(textAngle, R - 22);
segment(x0, y0, x1 - 8, y1, 4, white);
triangle(
  [
    [x1, y1],
    [x1 - 11, y1 - 6],
    [x1 - 11, y1 + 6],
  ],
  white,
);

const rgba = Buffer.alloc(N * N * 4);
for (let py = 0; py < N; py++) {
  for (let px = 0; px < N; px++) {
    const acc = [0, 0, 0];
    for (let sy = 0; sy < S; sy++) {
      for (let sx = 0; sx < S; sx++) {
        const x = px + (sx + 0.5) / S;
        const y = py + (sy + 0.5) / S;
        let c = bg;
        for (const sh of shapes) if (sh.hit(x, y)) c = sh.color; // later shapes on top
        for (let k = 0; k < 3; k++) acc[k] += c[k];
      }
    }
    const o = (py * N + px) * 4;
    for (let k = 0; k < 3; k++) rgba[o + k] = Math.round(acc[k] / (S * S));
    rgba[o + 3] = 255;
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0);
ihdr.writeUInt32BE(N, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) rgba.copy(raw, y * (N * 4 + 1) + 1, y * N * 4, (y + 1) * N * 4);
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync('media/icon.png', png);
process.stdout.write(`media/icon.png: ${N}×${N}, ${png.length} bytes\n`);
