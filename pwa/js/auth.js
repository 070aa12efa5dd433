/**
 * The server session of the unlocked member (docs/sync-protocol.md §2). The cookie belongs to the
 * browser, not to a member: on a shared tablet it is whoever logged in last. So before anything is
 * pushed or pulled, /api/me must name this member's device; otherwise the member logs in again —
 * by signing the challenge with the device key (no tap needed) or with the passkey (a tap).
 */

import { ApiError } from './api.js';
import { signChallenge } from './device-key.js';
import { getPasskey } from './passkey.js';

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
 * @param {{api: import('./api.js').Api, member: any, origin: string, start?: any}} args
 * @returns {Promise<any>} the login answer {device, member, grids, csrf_token, server_time}
 */
export async function login({ api, member, origin, start }) {
  const ceremony = start ?? (await loginStart(api, member.device.id));
  if (ceremony.method === 'passkey') {
    const credential = await getPasskey(ceremony.passkey);
    return api.loginPasskey(ceremony.ceremony, credential);
  }
  if (!member.deviceKey) throw new Error(`the server expects a device key, and member ${member.id} has none here`);
  const signature = await signChallenge(member.deviceKey, 'login', origin, ceremony.device_key.challenge);
  return api.loginDeviceKey(ceremony.ceremony, signature);
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
