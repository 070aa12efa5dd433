/**
 * The crypto of a member's data at rest (issue 3; docs/sync-protocol.md §2.4). No storage here: db.js
 * decides where the results go.
 *
 *   data secret   32 random bytes per member and device. Never stored as it is; only wrapped twice:
 *     · pin wrap       AES-GCM under a key derived from the 6-digit PIN: PBKDF2-SHA-256, 600,000
 *                      iterations (OWASP 2023 for PBKDF2-HMAC-SHA256), 16-byte random salt.
 *     · recovery wrap  AES-GCM under the server's `recovery_key` (32 random bytes), which the app does
 *                      not keep: only a new enrollment of the same member hands it back
 *                      (`previous_recovery_key`), after a PIN lockout.
 *   A wrong PIN makes a wrong key, and the GCM tag check refuses it: that is the whole PIN check.
 *
 *   From the secret, HKDF-SHA-256 derives two non-extractable keys that live only in memory while the
 *   member is unlocked:
 *     · enc    AES-GCM-256 for every stored value; 12-byte random IV; the additional data names the
 *              member, the store and the row, so a row cannot be moved to another member or key.
 *     · blind  HMAC-SHA-256 that turns record, op and household ids into row keys, so the stored keys
 *              say nothing either (which records exist, which household was visited).
 *
 * The wraps also bind the member id as additional data.
 *
 *   PIN login key (device keys only; docs/sync-protocol.md §1.1, §2.2)  PBKDF2-SHA-256 of the PIN under a
 *              salt of its own, 32 bytes. Its raw bytes go to the server once, as the device's PIN verifier;
 *              the app keeps only salt and iterations. While the member is unlocked the same key lives in
 *              memory (non-extractable HMAC), and every device-key login sends
 *              pin_proof = HMAC(key, "lianhu-login-pin\n" + origin + "\n" + challenge): the server counts
 *              wrong proofs, so a script that can use the device key still needs the PIN.
 *
 * Everything here runs the same in Node (tests) and in the browser: WebCrypto only.
 */

import { decode, encode } from './base64url.js';

export const PIN_ITERATIONS = 600_000;
const subtle = () => globalThis.crypto.subtle;
const utf8 = new TextEncoder();

/** The PIN (or the recovery key) does not open this wrap. */
export class WrongKeyError extends Error {
  constructor() {
    super('the key does not open this data');
    this.name = 'WrongKeyError';
  }
}

/**
 * @typedef {object} Wrap
 * @property {string} kdf          "PBKDF2-SHA-256" or "raw" (the recovery key is already a key)
 * @property {number} [iterations]
 * @property {string} [salt]       base64url
 * @property {string} iv           base64url
 * @property {string} data         base64url: the secret sealed with AES-GCM
 */

/** @typedef {{enc: CryptoKey, blind: CryptoKey}} VaultKeys */

/** @returns {Uint8Array} a fresh data secret */
export function newDataSecret() {
  return globalThis.crypto.getRandomValues(new Uint8Array(32));
}

/**
 * @param {string} pin
 * @param {Uint8Array} salt
 * @param {number} iterations
 */
async function pinKey(pin, salt, iterations) {
  const base = await subtle().importKey('raw', utf8.encode(pin), 'PBKDF2', false, ['deriveKey']);
  return subtle().deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** @param {string} recoveryKey  base64url of 32 bytes, as the server sends it */
function recoveryKeyOf(recoveryKey) {
  const bytes = decode(recoveryKey);
  if (bytes.length !== 32) throw new TypeError(`recovery_key must be 32 bytes, got ${bytes.length}`);
  return subtle().importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/**
 * @param {CryptoKey} key
 * @param {Uint8Array} secret
 * @param {string} purpose
 * @param {number | string} memberId
 * @param {Partial<Wrap>} header
 * @returns {Promise<Wrap>}
 */
async function wrap(key, secret, purpose, memberId, header) {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const additionalData = utf8.encode(`lianhu-wrap|${purpose}|${memberId}`);
  const data = await subtle().encrypt({ name: 'AES-GCM', iv, additionalData }, key, secret);
  return /** @type {Wrap} */ ({ ...header, iv: encode(iv), data: encode(data) });
}

/**
 * @param {CryptoKey} key
 * @param {Wrap} wrapped
 * @param {string} purpose
 * @param {number | string} memberId
 */
async function unwrap(key, wrapped, purpose, memberId) {
  const additionalData = utf8.encode(`lianhu-wrap|${purpose}|${memberId}`);
  try {
    const iv = decode(wrapped.iv);
    return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv, additionalData }, key, decode(wrapped.data)));
  } catch (error) {
    if (/** @type {any} */ (error)?.name === 'OperationError') throw new WrongKeyError();
    throw error;
  }
}

/**
 * @param {Uint8Array} secret
 * @param {string} pin
 * @param {number | string} memberId
 * @param {{iterations?: number}} [options]  fewer iterations only in unit tests
 */
export async function wrapWithPin(secret, pin, memberId, { iterations = PIN_ITERATIONS } = {}) {
  const salt = globalThis.crypto.getRandomValues(new Uint8Array(16));
  const key = await pinKey(pin, salt, iterations);
  return wrap(key, secret, 'pin', memberId, { kdf: 'PBKDF2-SHA-256', iterations, salt: encode(salt) });
}

/**
 * @param {Wrap} wrapped
 * @param {string} pin
 * @param {number | string} memberId
 * @returns {Promise<Uint8Array>} the secret; WrongKeyError for a wrong PIN
 */
export async function unwrapWithPin(wrapped, pin, memberId) {
  const key = await pinKey(pin, decode(wrapped.salt ?? ''), wrapped.iterations ?? PIN_ITERATIONS);
  return unwrap(key, wrapped, 'pin', memberId);
}

/**
 * @param {Uint8Array} secret
 * @param {string} recoveryKey
 * @param {number | string} memberId
 */
export async function wrapWithRecovery(secret, recoveryKey, memberId) {
  return wrap(await recoveryKeyOf(recoveryKey), secret, 'recovery', memberId, { kdf: 'raw' });
}

/**
 * @param {Wrap} wrapped
 * @param {string} recoveryKey
 * @param {number | string} memberId
 */
export async function unwrapWithRecovery(wrapped, recoveryKey, memberId) {
  return unwrap(await recoveryKeyOf(recoveryKey), wrapped, 'recovery', memberId);
}

/**
 * The in-memory keys of an unlocked member. The caller should drop `secret` afterwards.
 * @param {Uint8Array} secret
 * @returns {Promise<VaultKeys>}
 */
export async function openKeys(secret) {
  const base = await subtle().importKey('raw', secret, 'HKDF', false, ['deriveKey']);
  /** @param {string} info @param {any} algorithm @param {KeyUsage[]} usages */
  const derive = (info, algorithm, usages) =>
    subtle().deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8.encode(info) },
      base,
      algorithm,
      false,
      usages,
    );
  const [enc, blind] = await Promise.all([
    derive('lianhu-data-enc', { name: 'AES-GCM', length: 256 }, ['encrypt', 'decrypt']),
    derive('lianhu-data-blind', { name: 'HMAC', hash: 'SHA-256', length: 256 }, ['sign']),
  ]);
  return { enc, blind };
}

/**
 * @param {VaultKeys} keys
 * @param {string} aad    where the value lives (member, store, row)
 * @param {unknown} value  anything JSON can hold
 * @returns {Promise<{iv: Uint8Array, data: ArrayBuffer}>}
 */
export async function seal(keys, aad, value) {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const plain = utf8.encode(JSON.stringify(value));
  const data = await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: utf8.encode(aad) }, keys.enc, plain);
  return { iv, data };
}

/**
 * @param {VaultKeys} keys
 * @param {string} aad
 * @param {{iv: Uint8Array, data: ArrayBuffer}} sealed
 * @returns {Promise<any>}
 */
export async function unseal(keys, aad, sealed) {
  const plain = await subtle().decrypt(
    { name: 'AES-GCM', iv: sealed.iv, additionalData: utf8.encode(aad) },
    keys.enc,
    sealed.data,
  );
  return JSON.parse(new TextDecoder().decode(plain));
}

/**
 * A row key that reveals nothing of the id: HMAC(kind ":" id), 128 bits, base64url.
 * @param {VaultKeys} keys
 * @param {string} kind
 * @param {string} id
 */
export async function blind(keys, kind, id) {
  const mac = await subtle().sign('HMAC', keys.blind, utf8.encode(`${kind}:${id}`));
  return encode(new Uint8Array(mac, 0, 16));
}

/**
 * @typedef {object} PinLoginParams  what the member entry keeps to derive the PIN login key again
 * @property {string} salt        base64url, 16 bytes
 * @property {number} iterations
 */

const HMAC_KEY = { name: 'HMAC', hash: 'SHA-256', length: 256 };

/**
 * A fresh PIN login key for an enrollment: its params (to keep), the verifier (to register once) and the
 * key (to hold while unlocked). The same PIN and params always give the same verifier.
 * @param {string} pin
 * @param {{salt?: string, iterations?: number}} [options]  salt: reuse one (a retried registration)
 * @returns {Promise<{params: PinLoginParams, verifier: string, key: CryptoKey}>}
 */
export async function newPinLogin(pin, { salt, iterations = PIN_ITERATIONS } = {}) {
  const saltBytes = salt ? decode(salt) : globalThis.crypto.getRandomValues(new Uint8Array(16));
  const base = await subtle().importKey('raw', utf8.encode(pin), 'PBKDF2', false, ['deriveBits']);
  const bits = new Uint8Array(
    await subtle().deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: saltBytes, iterations }, base, 256),
  );
  const key = await subtle().importKey('raw', bits, HMAC_KEY, false, ['sign']);
  const verifier = encode(bits);
  bits.fill(0);
  return { params: { salt: encode(saltBytes), iterations }, verifier, key };
}

/**
 * The PIN login key again, at unlock: non-extractable, so not even the page can send it anywhere.
 * @param {string} pin
 * @param {PinLoginParams} params
 * @returns {Promise<CryptoKey>}
 */
export async function pinLoginKey(pin, { salt, iterations }) {
  const base = await subtle().importKey('raw', utf8.encode(pin), 'PBKDF2', false, ['deriveKey']);
  return subtle().deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: decode(salt), iterations },
    base,
    HMAC_KEY,
    false,
    ['sign'],
  );
}

/**
 * @param {string} origin     location.origin
 * @param {string} challenge  the login challenge exactly as the server sent it (base64url)
 */
export function pinProofMessage(origin, challenge) {
  return `lianhu-login-pin\n${origin}\n${challenge}`;
}

/**
 * @param {CryptoKey} key  from pinLoginKey or newPinLogin
 * @param {string} origin
 * @param {string} challenge
 * @returns {Promise<string>} pin_proof, base64url of 32 bytes
 */
export async function pinProof(key, origin, challenge) {
  const mac = await subtle().sign('HMAC', key, utf8.encode(pinProofMessage(origin, challenge)));
  return encode(new Uint8Array(mac));
}
