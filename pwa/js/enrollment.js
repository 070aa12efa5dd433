/**
 * Enrollment 登记 (docs/sync-protocol.md §1): a one-time code becomes a credential on this device, a
 * server session, and then — once the member has chosen a PIN — an encrypted place for their data.
 *
 *   1. start     POST /api/enroll/start checks the code; the screen asks for it as soon as a whole
 *                code is typed (or came in the link), so the tap on 登记 can go straight to step 2.
 *   2. prove     a real passkey registration first, from the member's tap; whatever makes it fail
 *                (NotAllowedError, NotSupportedError, our 60 s limit, no WebAuthn at all) falls back to
 *                a non-extractable ECDSA P-256 device key. No feature test decides: they lie on some
 *                phones (issue 3). A passkey the server refuses also falls back, with a new ceremony.
 *   3. PIN       finishEnrollment: a fresh data secret (or, after a lockout, the old one, reopened with
 *                the answer's previous_recovery_key), wrapped under the PIN and the new recovery key,
 *                stored together with the member entry. Until then nothing is written. A device key also
 *                registers its PIN verifier with the server first (§1.1): without it the key could never
 *                log in again, so the PIN step fails (and can be retried) rather than store such a member.
 */

import { ApiError } from './api.js';
import { generateDeviceKey, publicJwk, signChallenge } from './device-key.js';
import { createPasskey, PasskeyFailed } from './passkey.js';
import { HybridClock } from './sync/clock.js';
import {
  newDataSecret,
  newPinLogin,
  openKeys,
  unwrapWithPin,
  unwrapWithRecovery,
  WrongKeyError,
  wrapWithPin,
  wrapWithRecovery,
} from './vault.js';

/** Ask for a new ceremony when less than this is left of the old one. */
const FRESH_MARGIN_MS = 30_000;

/**
 * @typedef {object} Start  the answer of /api/enroll/start, and when it arrived
 * @property {string} ceremony
 * @property {{id: number, name: string}} member
 * @property {any} passkey
 * @property {{challenge: string}} device_key
 * @property {number} expires_in
 * @property {number} fetchedAt
 * @property {string} code
 */

/**
 * @typedef {object} PendingEnrollment  enrolled on the server, waiting for the PIN (memory only)
 * @property {any} answer        the 201 answer: device, member, grids, recovery_key, previous_recovery_key
 * @property {'passkey' | 'device_key'} method
 * @property {CryptoKey | null} deviceKey
 * @property {string | null} passkeyFailure   why the passkey was not used (kept for the Me screen)
 * @property {string} [pinSalt]  the PIN login salt, chosen at the first try of step 3 and kept for a retry,
 *   so the same PIN registers the same verifier again (the server takes one verifier per device)
 */

/**
 * @param {import('./api.js').Api} api
 * @param {string} code
 * @returns {Promise<Start>}
 */
export async function startEnrollment(api, code) {
  const start = await api.enrollStart(code);
  return { ...start, fetchedAt: Date.now(), code };
}

/**
 * @param {Start | null} start
 * @param {string} code
 * @param {number} [now]
 */
export function isFresh(start, code, now = Date.now()) {
  return Boolean(start) && start?.code === code && now - start.fetchedAt < start.expires_in * 1000 - FRESH_MARGIN_MS;
}

/**
 * Step 2. Call it from the tap without awaiting anything first when `start` is fresh: the passkey
 * prompt is the first thing it does.
 * @param {{api: import('./api.js').Api, start: Start, label: string, shared: boolean,
 *          previousDevice: string | null, origin: string, passkeyTimeoutMs?: number}} args
 * @returns {Promise<PendingEnrollment>}
 */
export async function proveEnrollment({ api, start, label, shared, previousDevice, origin, passkeyTimeoutMs }) {
  const common = { label: label || undefined, shared, previous_device: previousDevice };
  let passkeyFailure = null;
  let ceremony = start;
  try {
    const credential = await createPasskey(start.passkey, { timeoutMs: passkeyTimeoutMs });
    try {
      const answer = await api.enrollPasskey({ ceremony: start.ceremony, credential, ...common });
      return { answer, method: 'passkey', deviceKey: null, passkeyFailure: null };
    } catch (error) {
      // The ceremony is used up either way (§1); a passkey the server refused gets a device key instead.
      if (!(error instanceof ApiError) || error.code !== 'invalid_credential') throw error;
      passkeyFailure = `server: ${error.message}`;
      ceremony = await startEnrollment(api, start.code);
    }
  } catch (error) {
    if (!(error instanceof PasskeyFailed)) throw error;
    passkeyFailure = error.reason;
  }
  const pair = await generateDeviceKey();
  const [publicKey, signature] = await Promise.all([
    publicJwk(pair.publicKey),
    signChallenge(pair.privateKey, 'enroll', origin, ceremony.device_key.challenge),
  ]);
  const answer = await api.enrollDeviceKey({ ceremony: ceremony.ceremony, public_key: publicKey, signature, ...common });
  return { answer, method: 'device_key', deviceKey: pair.privateKey, passkeyFailure };
}

export class CannotReopenError extends Error {
  constructor() {
    super('the data kept on this browser for this member could not be reopened');
    this.name = 'CannotReopenError';
  }
}

/**
 * Step 3: the PIN. Opens (or creates) the member's data and stores the member entry.
 * @param {{db: typeof import('./db.js'), api?: import('./api.js').Api, pending: PendingEnrollment, pin: string,
 *          existing?: any, pinIterations?: number}} args  existing: the member's earlier entry on this
 *   browser; api: needed for a device key (its PIN verifier)
 * @returns {Promise<{entry: any, data: import('./db.js').MemberData, pinKey: CryptoKey | null}>}
 *   pinKey: the PIN login key, to hold in memory while the member is unlocked (device keys only)
 */
export async function finishEnrollment({ db, api, pending, pin, existing, pinIterations }) {
  const { answer } = pending;
  const id = answer.member.id;
  const iterations = pinIterations ? { iterations: pinIterations } : {};
  let pinLogin = null;
  if (pending.method === 'device_key') {
    if (!api) throw new Error('a device key needs the api to register its PIN verifier');
    const made = newPinLogin(pin, { ...iterations, salt: pending.pinSalt });
    pinLogin = made.then(async (login) => {
      pending.pinSalt = login.params.salt;
      await api.registerPin(login.verifier);
      return login;
    });
  }
  const secret = existing ? await reopen(existing, answer.previous_recovery_key, pin) : newDataSecret();
  const [pinWrap, recoveryWrap, keys, login] = await Promise.all([
    wrapWithPin(secret, pin, id, iterations),
    wrapWithRecovery(secret, answer.recovery_key, id),
    openKeys(secret),
    pinLogin,
  ]).finally(() => secret.fill(0));
  const entry = {
    id,
    name: answer.member.name,
    device: { ...answer.device, method: pending.method },
    method: pending.method,
    shared: Boolean(answer.device?.shared),
    deviceKey: pending.deviceKey,
    // Salt and iterations of the PIN login key (device keys): not secret, the key itself is never stored.
    pinLogin: login?.params ?? null,
    // Proves a PIN-lockout report is ours (§2.3); it has to be readable while the member is locked out.
    lockoutKey: answer.lockout_key,
    wraps: { pin: pinWrap, recovery: recoveryWrap },
    failedPins: 0,
    locked: false,
    lockReported: false,
    enrolledAt: Date.now(),
    earlierDevices: existing ? [...(existing.earlierDevices ?? []), existing.device.id] : [],
  };
  const data = db.useVault(id, keys);
  // A new device id is a new replica, but its clock carries on from the old one, so an edit made now
  // still stamps later than the edits made before the lockout (§3.1).
  const old = existing ? await data.getMeta('clock') : null;
  const clock = new HybridClock(answer.device.id, { wall: old?.wall ?? 0, counter: old?.counter ?? 0 });
  const serverOffset = typeof answer.server_time === 'number' ? answer.server_time - Date.now() : 0;
  await data.saveEnrollment(entry, {
    device: answer.device,
    member: answer.member,
    grids: answer.grids ?? [],
    clock: clock.toJSON(),
    serverOffset,
  });
  return { entry, data, pinKey: login?.key ?? null };
}

/**
 * @param {any} existing
 * @param {string | null | undefined} recoveryKey
 * @param {string} pin  the new PIN; it opens the old data too when the member chose the same one
 */
async function reopen(existing, recoveryKey, pin) {
  if (recoveryKey) return unwrapWithRecovery(existing.wraps.recovery, recoveryKey, existing.id);
  if (existing.wraps.pin) {
    try {
      return await unwrapWithPin(existing.wraps.pin, pin, existing.id);
    } catch (error) {
      if (!(error instanceof WrongKeyError)) throw error;
    }
  }
  throw new CannotReopenError();
}

/** @returns {Promise<boolean>} whether the browser promised not to evict this origin's data */
export async function requestPersistence() {
  try {
    return Boolean(await globalThis.navigator?.storage?.persist?.());
  } catch {
    return false;
  }
}
