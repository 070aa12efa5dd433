// Encryption at rest (pwa/js/vault.js) and the PIN that opens it (pwa/js/pin.js), with Node's WebCrypto.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { decode, encode } from '../../pwa/js/base64url.js';
import { MAX_PIN_ATTEMPTS, pinProblem, unlockWithPin } from '../../pwa/js/pin.js';
import {
  blind,
  newDataSecret,
  openKeys,
  PIN_ITERATIONS,
  seal,
  unseal,
  unwrapWithPin,
  unwrapWithRecovery,
  WrongKeyError,
  wrapWithPin,
  wrapWithRecovery,
} from '../../pwa/js/vault.js';
import { fakeDirectory } from './pwa-fakes.mjs';

const FAST = { iterations: 1000 }; // the real 600,000 are checked once, below
const RECOVERY = encode(new Uint8Array(32).fill(7));

test('base64url round-trips bytes and refuses other alphabets', () => {
  const bytes = Uint8Array.from({ length: 33 }, (_, i) => i * 7);
  assert.deepEqual(decode(encode(bytes)), bytes);
  assert.doesNotMatch(encode(bytes), /[+/=]/);
  assert.throws(() => decode('ab+c'), TypeError);
});

test('the PIN wrap uses PBKDF2-SHA-256 with 600,000 iterations and a 16-byte salt by default', async () => {
  const secret = newDataSecret();
  const wrap = await wrapWithPin(secret, '258036', 7);
  assert.equal(PIN_ITERATIONS, 600_000);
  assert.equal(wrap.kdf, 'PBKDF2-SHA-256');
  assert.equal(wrap.iterations, 600_000);
  assert.equal(decode(wrap.salt ?? '').length, 16);
  assert.deepEqual(await unwrapWithPin(wrap, '258036', 7), secret);
});

test('a wrong PIN, another member or another recovery key does not open the secret', async () => {
  const secret = newDataSecret();
  const pinWrap = await wrapWithPin(secret, '258036', 7, FAST);
  await assert.rejects(unwrapWithPin(pinWrap, '258037', 7), WrongKeyError);
  await assert.rejects(unwrapWithPin(pinWrap, '258036', 8), WrongKeyError, 'the wrap is bound to its member');
  const recoveryWrap = await wrapWithRecovery(secret, RECOVERY, 7);
  assert.deepEqual(await unwrapWithRecovery(recoveryWrap, RECOVERY, 7), secret);
  await assert.rejects(unwrapWithRecovery(recoveryWrap, encode(new Uint8Array(32).fill(8)), 7), WrongKeyError);
  await assert.rejects(wrapWithRecovery(secret, encode(new Uint8Array(16)), 7), TypeError);
  const salts = new Set(await Promise.all([1, 2, 3].map(async () => (await wrapWithPin(secret, '258036', 7, FAST)).salt)));
  assert.equal(salts.size, 3, 'a fresh salt each time');
});

test('sealed values open only with the same keys and the same place', async () => {
  const keys = await openKeys(newDataSecret());
  const value = { notes: '老人身体尚好', address: '3号楼2单元501' };
  const sealed = await seal(keys, '7|records|abc', value);
  assert.ok(!new TextDecoder().decode(sealed.data).includes('老人'));
  assert.deepEqual(await unseal(keys, '7|records|abc', sealed), value);
  await assert.rejects(unseal(keys, '7|records|abd', sealed), { name: 'OperationError' });
  await assert.rejects(unseal(await openKeys(newDataSecret()), '7|records|abc', sealed), { name: 'OperationError' });
  const again = await seal(keys, '7|records|abc', value);
  assert.notDeepEqual(again.iv, sealed.iv, 'a fresh IV each time');
});

test('blinded keys are stable, differ by kind and key, and hide the id', async () => {
  const secret = newDataSecret();
  const keys = await openKeys(secret);
  const other = await openKeys(newDataSecret());
  const a = await blind(keys, 'records', 'hh-0f3a9c2e5b7d');
  assert.equal(a, await blind(await openKeys(secret), 'records', 'hh-0f3a9c2e5b7d'));
  assert.notEqual(a, await blind(keys, 'ops', 'hh-0f3a9c2e5b7d'));
  assert.notEqual(a, await blind(other, 'records', 'hh-0f3a9c2e5b7d'));
  assert.match(a, /^[A-Za-z0-9_-]{22}$/);
});

test('a PIN must be six digits and not trivially guessable', () => {
  assert.equal(pinProblem('258036'), null);
  for (const bad of ['12345', '1234567', '12a456', '']) assert.equal(pinProblem(bad), 'pin.needDigits', bad);
  for (const weak of ['000000', '123456', '654321', '777777']) assert.equal(pinProblem(weak), 'pin.tooSimple', weak);
});

/** A directory with member 7 whose secret is wrapped under PIN 258036. */
async function memberWithPin() {
  const directory = fakeDirectory();
  const secret = newDataSecret();
  directory.members.set(7, {
    id: 7,
    name: '张伟',
    device: { id: 'dev0001' },
    failedPins: 0,
    locked: false,
    wraps: { pin: await wrapWithPin(secret, '258036', 7, FAST), recovery: await wrapWithRecovery(secret, RECOVERY, 7) },
  });
  return { directory, secret };
}

test('the right PIN unlocks and resets the count of wrong ones', async () => {
  const { directory, secret } = await memberWithPin();
  assert.deepEqual(await unlockWithPin(directory, 7, '111112'), { status: 'wrong', left: MAX_PIN_ATTEMPTS - 1 });
  const result = await unlockWithPin(directory, 7, '258036');
  assert.equal(result.status, 'ok');
  assert.equal(directory.members.get(7).failedPins, 0);
  if (result.status !== 'ok') return;
  const sealed = await seal(result.keys, 'x', 1);
  assert.equal(await unseal(await openKeys(secret), 'x', sealed), 1, 'the keys are those of the member secret');
});

test('five wrong PINs in a row lock the member and delete the PIN wrap, keeping the recovery wrap', async () => {
  const { directory, secret } = await memberWithPin();
  const lefts = [];
  for (let i = 0; i < MAX_PIN_ATTEMPTS - 1; i++) {
    const result = await unlockWithPin(directory, 7, '999990');
    assert.equal(result.status, 'wrong');
    if (result.status === 'wrong') lefts.push(result.left);
  }
  assert.deepEqual(lefts, [4, 3, 2, 1]);
  const fifth = await unlockWithPin(directory, 7, '999990');
  assert.equal(fifth.status, 'locked');
  const entry = directory.members.get(7);
  assert.equal(entry.locked, true);
  assert.equal(entry.lockReported, false);
  assert.equal(entry.wraps.pin, undefined);
  assert.equal((await unlockWithPin(directory, 7, '258036')).status, 'locked', 'not even the right PIN opens it now');
  assert.deepEqual(await unwrapWithRecovery(entry.wraps.recovery, RECOVERY, 7), secret, 're-enrollment can reopen it');
});
