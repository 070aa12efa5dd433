/**
 * Enrollment 登记 (docs/sync-protocol.md §1): a one-time code becomes this device's session. The device
 * id the server hands out is the replica id of every op this phone will make, so the clock is created
 * here, once, for that replica.
 */

import { HybridClock } from './sync/clock.js';

/**
 * @param {{api: import('./api.js').Api, db: typeof import('./db.js')}} deps
 * @param {string} code   as typed
 * @param {string} [label]
 * @returns {Promise<{token: string, device: any, member: any, grids: any[]}>}
 */
export async function enrollDevice({ api, db }, code, label) {
  const response = await api.enroll(code, label || undefined);
  const session = {
    token: response.token,
    device: response.device,
    member: response.member,
    grids: response.grids ?? [],
  };
  await db.setMeta({
    ...session,
    clock: new HybridClock(response.device.id).toJSON(),
    serverOffset: typeof response.server_time === 'number' ? response.server_time - Date.now() : 0,
    cursor: undefined,
    lastSync: undefined,
  });
  // Ask the browser not to evict the outbox under storage pressure: unsynced visits live only here.
  const persisted = await requestPersistence();
  await db.setMeta({ persisted });
  return session;
}

/** @returns {Promise<boolean>} */
export async function requestPersistence() {
  try {
    return Boolean(await globalThis.navigator?.storage?.persist?.());
  } catch {
    return false;
  }
}
