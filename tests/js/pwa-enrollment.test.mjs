// Enrollment, login and lockout reports (pwa/js/enrollment.js, passkey.js, device-key.js, auth.js)
// against the fake server, which really checks device-key signatures. Node has no WebAuthn: the passkey
// cases put a stand-in PublicKeyCredential and navigator.credentials on globalThis.

import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { createApi } from '../../pwa/js/api.js';
import { login, reportLockouts, sessionOf } from '../../pwa/js/auth.js';
import { finishEnrollment, proveEnrollment, startEnrollment } from '../../pwa/js/enrollment.js';
import { seal, unseal, unwrapWithPin } from '../../pwa/js/vault.js';
import { fakeDb, fakeDirectory, fakeServer } from './pwa-fakes.mjs';

const ORIGIN = 'http://phone.test';

afterEach(() => {
  delete (/** @type {any} */ (globalThis)).PublicKeyCredential;
  Object.defineProperty(globalThis, 'navigator', { value: undefined, configurable: true, writable: true });
});

/**
 * @param {(options: any) => Promise<any>} create  what navigator.credentials.create does
 */
function fakeWebAuthn(create) {
  /** @type {any[]} */
  const calls = [];
  /** @type {any} */ (globalThis).PublicKeyCredential = {
    parseCreationOptionsFromJSON: (/** @type {any} */ json) => ({ ...json, parsed: true }),
  };
  const credentials = {
    create: (/** @type {any} */ options) => {
      calls.push(options);
      return create(options);
    },
  };
  Object.defineProperty(globalThis, 'navigator', { value: { credentials }, configurable: true, writable: true });
  return calls;
}

/** @param {{loggedIn?: string | null}} [options] */
async function enrollment(options = { loggedIn: null }) {
  const server = fakeServer({ origin: ORIGIN, ...options });
  const api = createApi({ fetch: server.fetch });
  const start = await startEnrollment(api, 'abcd-efgh');
  return { server, api, start };
}

const args = { label: '张伟的手机', shared: false, previousDevice: null, origin: ORIGIN };

test('without WebAuthn the device gets a non-extractable P-256 key, and the server checks its signature', async () => {
  const { server, api, start } = await enrollment();
  const pending = await proveEnrollment({ api, start, ...args });
  assert.equal(pending.method, 'device_key');
  assert.equal(pending.passkeyFailure, 'Unsupported');
  assert.equal(pending.deviceKey?.extractable, false);
  assert.equal(pending.deviceKey?.type, 'private');
  const sent = server.requests.find((r) => r.path === '/api/enroll/device-key')?.body;
  assert.deepEqual(Object.keys(sent.public_key).sort(), ['crv', 'kty', 'x', 'y']);
  assert.deepEqual(
    { label: sent.label, shared: sent.shared, previous_device: sent.previous_device, session: sent.session },
    { label: '张伟的手机', shared: false, previous_device: null, session: 'cookie' },
  );
  assert.equal(pending.answer.device.id, server.session?.device, 'the enrollment answer set the session');
});

test('a passkey is tried first, straight away, and used when the server takes it', async () => {
  const { server, api, start } = await enrollment();
  const calls = fakeWebAuthn(async () => ({ toJSON: () => ({ id: 'good-passkey', type: 'public-key' }) }));
  const pending = proveEnrollment({ api, start, ...args });
  assert.equal(calls.length, 1, 'create() was called before anything was awaited');
  assert.equal(calls[0].publicKey.parsed, true);
  assert.equal(calls[0].publicKey.authenticatorSelection.userVerification, 'required');
  const done = await pending;
  assert.equal(done.method, 'passkey');
  assert.equal(done.deviceKey, null);
  assert.ok(!server.requests.some((r) => r.path === '/api/enroll/device-key'));
});

for (const [name, create, reason] of /** @type {const} */ ([
  ['NotAllowedError', () => Promise.reject(new DOMException('cancelled', 'NotAllowedError')), 'NotAllowedError'],
  ['NotSupportedError', () => Promise.reject(new DOMException('no', 'NotSupportedError')), 'NotSupportedError'],
  ['a create() that never settles', () => new Promise(() => {}), 'Timeout'],
])) {
  test(`${name} falls back to a device key`, async () => {
    const { api, start } = await enrollment();
    const calls = fakeWebAuthn(create);
    const pending = await proveEnrollment({ api, start, ...args, passkeyTimeoutMs: 30 });
    assert.equal(pending.method, 'device_key');
    assert.equal(pending.passkeyFailure, reason);
    if (reason === 'Timeout') assert.equal(calls[0].signal.aborted, true, 'the hanging ceremony is aborted');
  });
}

test('a passkey the server refuses falls back to a device key with a new ceremony', async () => {
  const { server, api, start } = await enrollment();
  fakeWebAuthn(async () => ({ toJSON: () => ({ id: 'cloned', type: 'public-key' }) }));
  const pending = await proveEnrollment({ api, start, ...args });
  assert.equal(pending.method, 'device_key');
  const starts = server.requests.filter((r) => r.path === '/api/enroll/start');
  assert.equal(starts.length, 2);
  assert.notEqual(server.requests.find((r) => r.path === '/api/enroll/device-key')?.body.ceremony, start.ceremony);
});

test('the PIN step stores the wraps, never the recovery key, and starts a clock for the new device', async () => {
  const { server, api, start } = await enrollment();
  const pending = await proveEnrollment({ api, start, ...args });
  const data = fakeDb();
  const { entry, pinKey } = await finishEnrollment({ db: /** @type {any} */ ({ useVault: () => data }), api, pending, pin: '258036', pinIterations: 1000 });
  assert.equal(entry.method, 'device_key');
  assert.equal(entry.failedPins, 0);
  assert.ok(!JSON.stringify(entry).includes(pending.answer.recovery_key), 'the recovery key is not kept');
  await unwrapWithPin(entry.wraps.pin, '258036', entry.id);
  assert.equal(data.meta.get('clock').replica, pending.answer.device.id);
  assert.equal(data.meta.get('device').id, pending.answer.device.id);
  const verifier = server.devices.get(pending.answer.device.id)?.pinVerifier;
  assert.ok(verifier, 'the PIN verifier was registered with the server');
  assert.deepEqual(Object.keys(entry.pinLogin).sort(), ['iterations', 'salt']);
  assert.ok(!JSON.stringify(entry).includes(/** @type {string} */ (verifier)), 'the verifier is not kept');
  assert.equal(pinKey?.extractable, false, 'the PIN login key is held, and cannot be read out');
});

test('a passkey member registers no PIN verifier and holds no PIN login key', async () => {
  const { server, api, start } = await enrollment();
  fakeWebAuthn(async () => ({ toJSON: () => ({ id: 'good-passkey', type: 'public-key' }) }));
  const pending = await proveEnrollment({ api, start, ...args });
  const { entry, pinKey } = await finishEnrollment({ db: /** @type {any} */ ({ useVault: () => fakeDb() }), api, pending, pin: '258036', pinIterations: 1000 });
  assert.equal(entry.pinLogin, null);
  assert.equal(pinKey, null);
  assert.ok(!server.requests.some((r) => r.path === '/api/device/pin'));
});

test('if the PIN verifier cannot be registered nothing is stored, and a retry with the same PIN registers it', async () => {
  const { server, api, start } = await enrollment();
  const pending = await proveEnrollment({ api, start, ...args });
  const data = fakeDb();
  const db = /** @type {any} */ ({ useVault: () => data });
  server.failures.push((req) => (req.path === '/api/device/pin' ? new TypeError('Failed to fetch') : null));
  await assert.rejects(finishEnrollment({ db, api, pending, pin: '258036', pinIterations: 1000 }), { name: 'NetworkError' });
  assert.equal(data.entry, null, 'no member entry without a registered PIN');

  const { entry } = await finishEnrollment({ db, api, pending, pin: '258036', pinIterations: 1000 });
  assert.equal(data.entry, entry);
  assert.equal(entry.pinLogin.salt, pending.pinSalt, 'the salt of the first try, so a lost answer cannot matter');
});

test('enrolling again after a lockout reopens the old data with previous_recovery_key', async () => {
  const { server, api, start } = await enrollment();
  const first = await proveEnrollment({ api, start, ...args });
  const oldData = fakeDb();
  const { entry: old } = await finishEnrollment({ db: /** @type {any} */ ({ useVault: (_, /** @type {any} */ keys) => Object.assign(oldData, { keys }) }), api, pending: first, pin: '258036', pinIterations: 1000 });
  oldData.meta.set('clock', { replica: old.device.id, wall: 1763712999999, counter: 4 });
  const sealed = await seal(/** @type {any} */ (oldData).keys, 'row', { notes: '锁定前的记录' });
  const locked = { ...old, locked: true, wraps: { recovery: old.wraps.recovery } };

  const again = await proveEnrollment({ api, start: await startEnrollment(api, 'ABCDEFGH'), ...args, previousDevice: old.device.id });
  assert.equal(server.requests.at(-1)?.body.previous_device, old.device.id);
  assert.ok(again.answer.previous_recovery_key);
  /** @type {any} */
  let keys = null;
  const { entry } = await finishEnrollment({
    db: /** @type {any} */ ({ useVault: (/** @type {number} */ _, /** @type {any} */ k) => ((keys = k), oldData) }),
    api,
    pending: again,
    pin: '147025',
    existing: locked,
    pinIterations: 1000,
  });
  assert.deepEqual(await unseal(keys, 'row', sealed), { notes: '锁定前的记录' }, 'the same data key');
  assert.equal(entry.locked, false);
  assert.deepEqual(entry.earlierDevices, [old.device.id]);
  const clock = oldData.meta.get('clock');
  assert.deepEqual([clock.replica, clock.wall, clock.counter], [again.answer.device.id, 1763712999999, 4]);
});

test('a device key logs in again after the session ended, and then CSRF-protected calls work', async () => {
  const { server, api, start } = await enrollment();
  const pending = await proveEnrollment({ api, start, ...args });
  const { entry: member, pinKey } = await finishEnrollment({ db: /** @type {any} */ ({ useVault: () => fakeDb() }), api, pending, pin: '258036', pinIterations: 1000 });
  server.session = null;
  assert.equal(await sessionOf(api, member.device.id), null);
  await login({ api, member, origin: ORIGIN, pinKey });
  assert.equal((await sessionOf(api, member.device.id))?.device.id, member.device.id);
  const sent = server.requests.find((r) => r.path === '/api/login/device-key')?.body;
  assert.match(sent.pin_proof, /^[A-Za-z0-9_-]{43}$/, 'the login carried the PIN proof');
  await api.push([]);
  assert.equal(server.requests.at(-1)?.headers['X-CSRF-Token'], server.session?.csrf);
});

test("another member's session is not used: its CSRF token is forgotten", async () => {
  const server = fakeServer({ loggedIn: 'colleague0000001' });
  const api = createApi({ fetch: server.fetch });
  assert.equal(await sessionOf(api, 'mine000000000001'), null);
  assert.equal(api.hasCsrf, false);
});

test('lockouts are reported once the network is back, and the locked device cannot log in', async () => {
  const { server, api, start } = await enrollment();
  const pending = await proveEnrollment({ api, start, ...args });
  const directory = fakeDirectory();
  directory.members.set(7, { id: 7, device: pending.answer.device, locked: true, lockReported: false });
  server.failures.push(() => new TypeError('Failed to fetch'));
  assert.equal(await reportLockouts(api, directory), 0);
  assert.equal(directory.members.get(7).lockReported, false, 'offline: still to report');
  assert.equal(await reportLockouts(api, directory), 1);
  assert.equal(directory.members.get(7).lockReported, true);
  assert.equal(server.devices.get(pending.answer.device.id)?.locked, true);
  await assert.rejects(api.loginStart(pending.answer.device.id), { status: 401 });
  assert.equal(await reportLockouts(api, directory), 0, 'reported once');
});
