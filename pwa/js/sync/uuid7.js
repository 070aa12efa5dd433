/**
 * UUID version 7 (RFC 9562 §5.7): 48-bit Unix time in ms, version 7, 74 random bits, variant 10.
 * Ids made at a later millisecond sort after earlier ones, which keeps op ids roughly in creation order.
 */

const UUID7_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MAX_MS = 2 ** 48; // exclusive

/**
 * @param {number} [nowMs]  ms since the epoch, 0 ≤ nowMs < 2^48
 * @param {Uint8Array | number[]} [randomBytes]  10 bytes; crypto.getRandomValues when omitted (tests and
 *   vector generators pass their own)
 * @returns {string} lowercase canonical form, e.g. "019aa5e2-3c41-7a10-8d2e-5b1f0c9e7a21"
 */
export function uuid7(nowMs = Date.now(), randomBytes = undefined) {
  if (typeof nowMs !== 'number' || !Number.isSafeInteger(nowMs) || nowMs < 0 || nowMs >= MAX_MS) {
    throw new RangeError(`nowMs must be an integer in [0, 2^48), got ${JSON.stringify(nowMs)}`);
  }
  const random = randomBytes ?? globalThis.crypto.getRandomValues(new Uint8Array(10));
  if (random.length !== 10) {
    throw new RangeError(`randomBytes must hold 10 bytes, got ${random.length}`);
  }
  const bytes = new Uint8Array(16);
  let ms = nowMs;
  // 48 bits do not fit JS bitwise operators (32 bits), so peel bytes off arithmetically.
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes.set(random, 6);
  bytes[6] = 0x70 | (bytes[6] & 0x0f); // version 7
  bytes[8] = 0x80 | (bytes[8] & 0x3f); // variant 10
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * @param {unknown} s
 * @returns {boolean} true for a lowercase canonical UUIDv7
 */
export function isUuid7(s) {
  return typeof s === 'string' && UUID7_PATTERN.test(s);
}
