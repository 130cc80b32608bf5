import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { bfloat16ToFloat, floatToBfloat16, floatToHalf, halfToFloat } from '../../../../src/core/readers/float16';
import { parsePyLiteral, PyLiteralError } from '../../../../src/core/readers/pyLiteral';
import { crc32 } from '../../../../src/core/readers/crc32';

test('every float16 bit pattern survives decode then encode', () => {
  for (let bits = 0; bits < 65536; bits++) {
    const value = halfToFloat(bits);
    if (Number.isNaN(value)) assert.ok(Number.isNaN(halfToFloat(floatToHalf(value))));
    else assert.equal(floatToHalf(value), bits, `bits 0x${bits.toString(16)}`);
  }
});

test('float16 encoding rounds to nearest even, overflows to infinity, underflows to zero', () => {
  assert.equal(halfToFloat(floatToHalf(1 + 2 ** -11)), 1); // halfway: down to the even 1.0
  assert.equal(halfToFloat(floatToHalf(1 + 3 * 2 ** -11)), 1 + 2 ** -9); // halfway: up to the even neighbour
  assert.equal(halfToFloat(floatToHalf(65520)), Infinity);
  assert.equal(halfToFloat(floatToHalf(65519)), 65504);
  assert.equal(halfToFloat(floatToHalf(2 ** -25)), 0);
  assert.equal(halfToFloat(floatToHalf(2 ** -24)), 2 ** -24);
  assert.equal(halfToFloat(floatToHalf(-3 * 2 ** -25)), -(2 ** -23)); // subnormal halfway: to even
});

test('bfloat16 keeps the top half of a float32, rounded to nearest even', () => {
  for (const v of [0, -0, 1, -2.5, 3.140625, Infinity, -Infinity, 1e38]) {
    const back = bfloat16ToFloat(floatToBfloat16(v));
    assert.ok(Object.is(back, Math.fround(v)) || Math.abs(back / v - 1) < 2 ** -8, String(v));
  }
  assert.equal(bfloat16ToFloat(floatToBfloat16(1 + 2 ** -8)), 1);
  assert.equal(bfloat16ToFloat(floatToBfloat16(1 + 3 * 2 ** -8)), 1 + 2 ** -6);
  assert.ok(Number.isNaN(bfloat16ToFloat(floatToBfloat16(NaN))));
});

test('the literal parser reads numpy headers, old and new', () => {
  const parsed = parsePyLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 500L, 512), }");
  assert.deepEqual(
    parsed,
    new Map<string, unknown>([
      ['descr', '<f4'],
      ['fortran_order', false],
      ['shape', [2, 500, 512]],
    ]),
  );
  assert.deepEqual(parsePyLiteral('("a\\"b", [None, True], ())'), ['a"b', [null, true], []]);
});

test('the literal parser refuses code, junk and absurd nesting', () => {
  for (const text of [
    "{'a': os.system('x')}",
    "{'a': 1} extra",
    "{'a' 1}",
    '[1, 2',
    "'open",
    '1e3',
    '9999999999999999999',
    '('.repeat(100),
  ]) {
    assert.throws(() => parsePyLiteral(text), PyLiteralError, text);
  }
});

test('crc32 matches the published check value', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.from('56789'), crc32(Buffer.from('1234'))), 0xcbf43926);
});
