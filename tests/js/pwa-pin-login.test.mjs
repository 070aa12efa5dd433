// A device-key login proves the PIN (issue 9, hole 6; docs/sync-protocol.md §1.1, §2.2): the verifier and
// the proof are checked here against Node's own PBKDF2 and HMAC, the unlock hands the PIN login key out
// only for the right PIN, and the fake server (which checks proofs as the protocol says) refuses logins
// without the PIN and locks the device at the fifth wrong one.

import assert from 'node:assert/strict';
import { createHmac, pbkdf2Sync } from 'node:crypto';
import { test } from 'node:test';

import { createApi } from '../../pwa/js/api.js';
import { login } from '../../pwa/js/auth.js';
import { decode } from '../../pwa/js/base64url.js';
import { finishEnrollment, proveEnrollment, startEnrollment } from '../../pwa/js/enrollment.js';
import { MAX_PIN_ATTEMPTS, unlockWithPin } from '../../pwa/js/pin.js';
import { newPinLogin, pinLoginKey, pinProof } from '../../pwa/js/vault.js';
import { fakeDb, fakeDirectory, fakeServer } from './pwa-fakes.mjs';

const ORIGIN = 'http://phone.test';
const PIN = '258036';
const CHALLENGE = 'Zm9yIHRoZSB0ZXN0IG9ubHkgLSBhIGxvZ2luIGNoYWxsZW5nZQ';

/** An enrolled device-key member, with the PIN step done, against a fresh fake server. */
async function enrolled() {
  const server = fakeServer({ origin: ORIGIN, loggedIn: null });
  const api = createApi({ fetch: server.fetch });
  const start = await startEnrollment(api, 'ABCD-EFGH');
  const pending = await proveEnrollment({ api, start, label: '', shared: false, previousDevice: null, origin: ORIGIN });
  const { entry, pinKey } = await finishEnrollment({
    db: /** @type {any} */ ({ useVault: () => fakeDb() }),
    api,
    pending,
    pin: PIN,
    pinIterations: 1000,
  });
  return { server, api, entry, pinKey };
}

test('the verifier is PBKDF2-SHA-256 of the PIN and the proof HMAC-SHA-256 of the challenge, as the protocol says', async () => {
  const { params, verifier, key } = await newPinLogin(PIN, { iterations: 1000 });
  const expected = pbkdf2Sync(PIN, Buffer.from(decode(params.salt)), 1000, 32, 'sha256');
  assert.equal(decode(params.salt).length, 16);
  assert.deepEqual(Buffer.from(decode(verifier)), expected);

  const proof = await pinProof(key, ORIGIN, CHALLENGE);
  const mac = createHmac('sha256', expected).update(`lianhu-login-pin\n${ORIGIN}\n${CHALLENGE}`).digest();
  assert.deepEqual(Buffer.from(decode(proof)), mac);
  assert.equal(await pinProof(await pinLoginKey(PIN, params), ORIGIN, CHALLENGE), proof, 'derived again at unlock');
  assert.notEqual(await pinProof(await pinLoginKey('147025', params), ORIGIN, CHALLENGE), proof);
  assert.equal(key.extractable, false);
});

test('only the right PIN unlocks the PIN login key, together with the data', async () => {
  const { entry } = await enrolled();
  const directory = fakeDirectory();
  directory.members.set(entry.id, entry);

  const wrong = await unlockWithPin(directory, entry.id, '000000');
  const right = await unlockWithPin(directory, entry.id, PIN);

  assert.equal(wrong.status, 'wrong');
  assert.ok(!('pinKey' in wrong));
  assert.equal(right.status, 'ok');
  assert.ok(right.status === 'ok' && right.pinKey);
  const params = entry.pinLogin;
  const again = await pinProof(await pinLoginKey(PIN, params), ORIGIN, CHALLENGE);
  assert.equal(right.status === 'ok' && (await pinProof(/** @type {CryptoKey} */ (right.pinKey), ORIGIN, CHALLENGE)), again);
});

test('a signed login without the PIN is refused and does not count', async () => {
  const { server, api, entry } = await enrolled();
  server.session = null;

  await assert.rejects(login({ api, member: entry, origin: ORIGIN, pinKey: null }), { status: 400, code: 'pin_required' });

  assert.equal(server.devices.get(entry.device.id)?.failedPins ?? 0, 0);
  assert.equal(server.session, null);
});

test('five logins with a wrong PIN lock the device on the server, whatever the page counts', async () => {
  const { server, api, entry } = await enrolled();
  server.session = null;
  const guess = await pinLoginKey('000000', entry.pinLogin); // what a script without the PIN can make

  const errors = [];
  for (let i = 0; i < MAX_PIN_ATTEMPTS; i += 1) {
    errors.push(await login({ api, member: entry, origin: ORIGIN, pinKey: guess }).catch((e) => e));
  }

  assert.deepEqual(errors.map((e) => e.code), ['wrong_pin', 'wrong_pin', 'wrong_pin', 'wrong_pin', 'pin_locked']);
  assert.equal(errors.at(-1).status, 401);
  assert.equal(server.devices.get(entry.device.id)?.locked, true);
  const right = await pinLoginKey(PIN, entry.pinLogin);
  await assert.rejects(login({ api, member: entry, origin: ORIGIN, pinKey: right }), { status: 401 });
});

test('the right PIN logs in and starts the count again', async () => {
  const { server, api, entry, pinKey } = await enrolled();
  server.session = null;
  const guess = await pinLoginKey('000000', entry.pinLogin);
  for (let i = 0; i < MAX_PIN_ATTEMPTS - 1; i += 1) await login({ api, member: entry, origin: ORIGIN, pinKey: guess }).catch(() => {});

  await login({ api, member: entry, origin: ORIGIN, pinKey });

  assert.equal(server.session?.device, entry.device.id);
  assert.equal(server.devices.get(entry.device.id)?.failedPins, 0);
});
