/**
 * The server session of the unlocked member (docs/sync-protocol.md §2). The cookie belongs to the
 * browser, not to a member: on a shared tablet it is whoever logged in last. So before anything is
 * pushed or pulled, /api/me must name this member's device; otherwise the member logs in again —
 * by signing the challenge with the device key and proving the PIN with the PIN login key the unlock
 * left in memory (no tap needed), or with the passkey (a tap; it verifies the member itself).
 */

import { ApiError } from './api.js';
import { signChallenge } from './device-key.js';
import { getPasskey } from './passkey.js';
import { pinProof } from './vault.js';

/**
 * @param {import('./api.js').Api} api
 * @param {string} deviceId
 * @returns {Promise<any | null>} the /api/me answer when the session is this device's, else null;
 *   a NetworkError passes through (offline: nobody knows)
 */
export async function sessionOf(api, deviceId) {
  try {
    const me = await api.me();
    if (me?.device?.id === deviceId) return me;
    api.forgetSession(); // another member's session: its CSRF token is not ours to use
    return null;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/**
 * @param {import('./api.js').Api} api
 * @param {string} deviceId
 */
export function loginStart(api, deviceId) {
  return api.loginStart(deviceId).then((start) => ({ ...start, fetchedAt: Date.now(), deviceId }));
}

/**
 * Logs the member's device in. For a passkey, call it from a tap, with a `start` fetched before the
 * tap where possible, so the browser prompt follows the gesture at once.
 * @param {{api: import('./api.js').Api, member: any, origin: string, start?: any, pinKey?: CryptoKey | null}} args
 *   pinKey: the unlocked member's PIN login key (pin.js). Without one (an entry from before PIN proofs)
 *   the login goes without proof, and the server refuses it, so the member enrolls again.
 * @returns {Promise<any>} the login answer {device, member, grids, csrf_token, server_time}
 */
export async function login({ api, member, origin, start, pinKey = null }) {
  const ceremony = start ?? (await loginStart(api, member.device.id));
  if (ceremony.method === 'passkey') {
    const credential = await getPasskey(ceremony.passkey);
    return api.loginPasskey(ceremony.ceremony, credential);
  }
  if (!member.deviceKey) throw new Error(`the server expects a device key, and member ${member.id} has none here`);
  const challenge = ceremony.device_key.challenge;
  const [signature, proof] = await Promise.all([
    signChallenge(member.deviceKey, 'login', origin, challenge),
    pinKey ? pinProof(pinKey, origin, challenge) : null,
  ]);
  return api.loginDeviceKey(ceremony.ceremony, signature, proof);
}

/**
 * Ends whatever server session the browser's cookie carries (POST /api/logout), so that nobody can read
 * the member's scope by opening an API URL in the address bar after the member locked the app or handed
 * a shared tablet on (issue 9, hole 1). Without the CSRF token in memory (after a reload) it asks /api/me
 * for it first; a 401 there means there is nothing to end. Offline, the browser remembers
 * `logoutPending` and the app ends the session at its next chance (`endPendingSession`).
 * @param {import('./api.js').Api} api
 * @param {{setSettings: (entries: Record<string, any>) => Promise<void>}} db
 * @returns {Promise<boolean>} whether the server confirmed that no session is left
 */
export async function endServerSession(api, db) {
  let ended = false;
  try {
    if (!api.hasCsrf) await api.me();
    await api.logout();
    ended = true;
  } catch (error) {
    ended = error instanceof ApiError && error.status === 401;
  } finally {
    api.forgetSession();
  }
  await db.setSettings({ logoutPending: !ended }).catch(() => {});
  return ended;
}

/**
 * Nobody is unlocked, yet a session may be left: one an offline lock could not end, or, on a shared
 * tablet, one whose tab was closed without locking. End it now.
 * @param {import('./api.js').Api} api
 * @param {{getSetting: (key: string) => Promise<any>, setSettings: (entries: Record<string, any>) => Promise<void>,
 *          listMembers: () => Promise<any[]>}} db
 */
export async function endPendingSession(api, db) {
  const pending = await db.getSetting('logoutPending');
  if (pending || (await db.listMembers()).some((member) => member.device?.shared)) await endServerSession(api, db);
}

/**
 * Tells the server about every PIN lockout not told yet (§2.3); offline, they wait for the next call.
 * An answer that will never change (the device is unknown or already ended) counts as told.
 * @param {import('./api.js').Api} api
 * @param {{listMembers: () => Promise<any[]>, updateMember: (id: number, change: (e: any) => any) => Promise<any>}} db
 * @returns {Promise<number>} how many were reported now
 */
export async function reportLockouts(api, db) {
  let reported = 0;
  for (const member of await db.listMembers()) {
    if (!member.locked || member.lockReported) continue;
    try {
      await api.reportLockout(member.device.id, member.lockoutKey);
    } catch (error) {
      if (!(error instanceof ApiError) || error.retryable || error.status === 403) continue;
    }
    await db.updateMember(member.id, (e) => ({ ...e, lockReported: true }));
    reported += 1;
  }
  return reported;
}
