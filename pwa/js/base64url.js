/** base64url without padding (RFC 4648 §5), the form WebAuthn JSON, JWK and the server's challenges use. */

/**
 * @param {ArrayBuffer | Uint8Array} data
 * @returns {string}
 */
export function encode(data) {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * @param {string} text
 * @returns {Uint8Array}
 */
export function decode(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) {
    throw new TypeError(`not base64url: ${JSON.stringify(text)?.slice(0, 40)}`);
  }
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
