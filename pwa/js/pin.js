/**
 * The 6-digit PIN that unlocks a member's data on this device, offline (issue 3). The PIN is never
 * stored or compared: it derives the key that unwraps the data secret (vault.js), and a wrong PIN simply
 * fails to unwrap. Five wrong PINs in a row lock the member on this device: the PIN wrap is deleted, so
 * no further guess can work (not even by editing the counter); only a new enrollment of the member
 * (recovery key) reopens the data, which stays on the device, encrypted, meanwhile.
 *
 * For a device key the same PIN also derives the PIN login key (vault.js), in parallel with the unwrap:
 * it is handed out only with the opened data, lives in memory while the member is unlocked, and proves the
 * PIN at every login, so that an automatic login after a session expiry needs no new prompt, and a login
 * without the member's PIN fails on the server, which counts the wrong ones too (issue 9, hole 6).
 */

import { openKeys, pinLoginKey, unwrapWithPin, WrongKeyError } from './vault.js';

export const PIN_LENGTH = 6;
export const MAX_PIN_ATTEMPTS = 5;

/**
 * @param {string} pin
 * @returns {string | null} an i18n key saying what is wrong, or null
 */
export function pinProblem(pin) {
  if (!new RegExp(`^\\d{${PIN_LENGTH}}$`).test(pin)) return 'pin.needDigits';
  if (/^(\d)\1+$/.test(pin) || '0123456789'.includes(pin) || '9876543210'.includes(pin)) return 'pin.tooSimple';
  return null;
}

/**
 * @typedef {{status: 'ok', keys: import('./vault.js').VaultKeys, entry: any, pinKey: CryptoKey | null}
 *   | {status: 'wrong', left: number} | {status: 'locked', entry: any}} UnlockResult
 *   pinKey: the PIN login key of a device-key member (null for a passkey, or an entry from before it)
 */

/**
 * @param {{getMember: (id: number) => Promise<any>, updateMember: (id: number, change: (e: any) => any) => Promise<any>}} db
 * @param {number} memberId
 * @param {string} pin
 * @returns {Promise<UnlockResult>}
 */
export async function unlockWithPin(db, memberId, pin) {
  // Count the attempt before trying it: a reload during the slow key derivation must not undo it.
  const entry = await db.updateMember(memberId, (e) => (e.locked ? e : { ...e, failedPins: (e.failedPins ?? 0) + 1 }));
  if (entry.locked || !entry.wraps?.pin) return { status: 'locked', entry };
  const loginKey = entry.pinLogin ? pinLoginKey(pin, entry.pinLogin) : Promise.resolve(null);
  let secret;
  try {
    secret = await unwrapWithPin(entry.wraps.pin, pin, memberId);
  } catch (error) {
    loginKey.catch(() => {}); // a wrong PIN's login key is worthless: dropped unread
    if (!(error instanceof WrongKeyError)) throw error;
    if (entry.failedPins < MAX_PIN_ATTEMPTS) return { status: 'wrong', left: MAX_PIN_ATTEMPTS - entry.failedPins };
    const locked = await db.updateMember(memberId, (e) => ({
      ...e,
      locked: true,
      lockedAt: Date.now(),
      lockReported: false,
      wraps: { recovery: e.wraps.recovery },
    }));
    return { status: 'locked', entry: locked };
  }
  const keys = await openKeys(secret);
  secret.fill(0);
  const opened = await db.updateMember(memberId, (e) => ({ ...e, failedPins: 0 }));
  return { status: 'ok', keys, entry: opened, pinKey: await loginKey };
}
