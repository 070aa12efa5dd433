import { test } from 'node:test';
import assert from 'node:assert/strict';

import { isUuid7, uuid7 } from '../../pwa/js/sync/uuid7.js';

const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('uuid7 lays out time, version, random bits and variant per RFC 9562 §5.7', () => {
  const random = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  assert.equal(uuid7(0x017f22e279b0, random), '017f22e2-79b0-7fff-bfff-ffffffffffff');
  const zeros = new Uint8Array(10);
  assert.equal(uuid7(0x017f22e279b0, zeros), '017f22e2-79b0-7000-8000-000000000000');
});

test('uuid7 takes its random bits from the bytes given, in order', () => {
  const random = Uint8Array.from([0x0c, 0xc3, 0x18, 0xc4, 0xdc, 0x0c, 0x0c, 0x07, 0x39, 0x8f]);
  // The RFC 9562 appendix A.6 example value.
  assert.equal(uuid7(0x017f22e279b0, random), '017f22e2-79b0-7cc3-98c4-dc0c0c07398f');
});

test('uuid7 without arguments is a fresh lowercase UUIDv7 of the current millisecond', () => {
  const before = Date.now();
  const id = uuid7();
  const after = Date.now();
  assert.match(id, FORMAT);
  const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
  assert.ok(before <= ms && ms <= after, `${before} <= ${ms} <= ${after}`);
  assert.notEqual(uuid7(), uuid7());
});

test('ids of later milliseconds sort after earlier ones', () => {
  const times = [0, 1, 255, 256, 65535, 2 ** 40, 1763712000000, 1763712000001, 2 ** 48 - 1];
  const ids = times.map((t) => uuid7(t));
  assert.deepEqual([...ids].sort(), ids);
  for (const id of ids) assert.ok(isUuid7(id), id);
});

test('uuid7 rejects times outside 48 bits and random input of the wrong size', () => {
  for (const bad of [-1, 2 ** 48, 1.5, NaN]) assert.throws(() => uuid7(bad), RangeError);
  assert.throws(() => uuid7(0, new Uint8Array(9)), RangeError);
  assert.throws(() => uuid7(0, new Uint8Array(16)), RangeError);
});

test('isUuid7 accepts only the lowercase canonical version 7 form', () => {
  assert.ok(isUuid7('019aa5e2-3c41-7a10-8d2e-5b1f0c9e7a21'));
  for (const bad of [
    '019AA5E2-3C41-7A10-8D2E-5B1F0C9E7A21', // uppercase
    '019aa5e2-3c41-4a10-8d2e-5b1f0c9e7a21', // version 4
    '019aa5e2-3c41-7a10-cd2e-5b1f0c9e7a21', // variant 110
    '019aa5e23c417a108d2e5b1f0c9e7a21', // no dashes
    '{019aa5e2-3c41-7a10-8d2e-5b1f0c9e7a21}',
    '019aa5e2-3c41-7a10-8d2e-5b1f0c9e7a21\n',
    '',
    null,
    42,
  ]) {
    assert.equal(isUuid7(bad), false, String(bad));
  }
});
