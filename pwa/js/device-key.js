/**
 * The fallback credential when a phone cannot make a passkey (domestic Android without Google services,
 * WeChat's browser): an ECDSA P-256 key pair made with WebCrypto. The private key is created
 * non-extractable, so script can sign with it but never read it; the CryptoKey object itself is kept in
 * IndexedDB (db.js; CryptoKeys are structured-cloneable). It is not hardware-backed: see docs/security.md.
 *
 * What is signed (docs/sync-protocol.md §1, §2.2): the UTF-8 bytes of
 *   "lianhu-enroll\n" + origin + "\n" + challenge    at enrollment
 *   "lianhu-login\n"  + origin + "\n" + challenge    at login
 * with ECDSA / SHA-256; WebCrypto gives the raw r‖s form the server expects, sent as base64url.
 * Any script in our origin can sign with the key, so a login also carries a proof of the member's PIN
 * (vault.js pinProof; docs/sync-protocol.md §2.2), which the server checks and counts.
 */

import { encode } from './base64url.js';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' };

/** @returns {Promise<CryptoKeyPair>} */
export function generateDeviceKey() {
  return /** @type {Promise<CryptoKeyPair>} */ (globalThis.crypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify']));
}

/**
 * The public half as the server wants it: only kty, crv, x, y.
 * @param {CryptoKey} publicKey
 * @returns {Promise<{kty: string, crv: string, x: string, y: string}>}
 */
export async function publicJwk(publicKey) {
  const jwk = await globalThis.crypto.subtle.exportKey('jwk', publicKey);
  return { kty: String(jwk.kty), crv: String(jwk.crv), x: String(jwk.x), y: String(jwk.y) };
}

/**
 * @param {'enroll' | 'login'} purpose
 * @param {string} origin      location.origin
 * @param {string} challenge   exactly as the server sent it (base64url)
 */
export function signedMessage(purpose, origin, challenge) {
  return `lianhu-${purpose}\n${origin}\n${challenge}`;
}

/**
 * @param {CryptoKey} privateKey
 * @param {'enroll' | 'login'} purpose
 * @param {string} origin
 * @param {string} challenge
 * @returns {Promise<string>} base64url of r‖s (64 bytes)
 */
export async function signChallenge(privateKey, purpose, origin, challenge) {
  const message = new TextEncoder().encode(signedMessage(purpose, origin, challenge));
  const signature = await globalThis.crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, message);
  return encode(signature);
}
