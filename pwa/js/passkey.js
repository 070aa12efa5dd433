/**
 * Passkeys (WebAuthn Level 3 JSON helpers). Feature tests lie on some phones (issue 3), so nothing here
 * asks whether a passkey is possible: only a real `create()` tells. What fails for any reason becomes a
 * PasskeyFailed, and the caller falls back to a device key (enrollment) or says why (login).
 *
 * The server's options (py_webauthn JSON) go straight into PublicKeyCredential.parse…OptionsFromJSON,
 * and `credential.toJSON()` goes straight back.
 */

export const PASSKEY_TIMEOUT_MS = 60_000;

export class PasskeyFailed extends Error {
  /**
   * @param {string} reason  the DOMException name (NotAllowedError, …), "Unsupported" or "Timeout"
   * @param {string} message
   */
  constructor(reason, message) {
    super(message);
    this.name = 'PasskeyFailed';
    this.reason = reason;
  }
}

/** @returns {any} the PublicKeyCredential interface, or null where the browser has none */
function webauthn() {
  return /** @type {any} */ (globalThis).PublicKeyCredential ?? null;
}

/**
 * Runs one ceremony with our own time limit on top of the browser's (some browsers never settle).
 * @param {(signal: AbortSignal) => Promise<any>} ceremony
 * @param {number} timeoutMs
 */
async function withTimeout(ceremony, timeoutMs) {
  const controller = new AbortController();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new PasskeyFailed('Timeout', `no answer from the authenticator within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    const credential = await Promise.race([ceremony(controller.signal), timeout]);
    if (!credential || typeof credential.toJSON !== 'function') {
      throw new PasskeyFailed('Unsupported', 'the browser returned no credential JSON');
    }
    return credential.toJSON();
  } catch (error) {
    if (error instanceof PasskeyFailed) throw error;
    const e = /** @type {any} */ (error);
    throw new PasskeyFailed(String(e?.name ?? 'Error'), String(e?.message ?? e));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Registers a passkey. Call it straight from the member's tap: browsers want a recent user gesture.
 * @param {any} optionsJson  PublicKeyCredentialCreationOptionsJSON from /api/enroll/start
 * @param {{timeoutMs?: number}} [options]
 * @returns {Promise<any>} RegistrationResponseJSON
 */
export function createPasskey(optionsJson, { timeoutMs = PASSKEY_TIMEOUT_MS } = {}) {
  const PKC = webauthn();
  if (typeof PKC?.parseCreationOptionsFromJSON !== 'function' || !globalThis.navigator?.credentials?.create) {
    return Promise.reject(new PasskeyFailed('Unsupported', 'this browser has no WebAuthn JSON helpers'));
  }
  return withTimeout((signal) => {
    const publicKey = PKC.parseCreationOptionsFromJSON(optionsJson);
    // User verification is required by the server (§1); say so even if the options forgot it.
    publicKey.authenticatorSelection = { ...publicKey.authenticatorSelection, userVerification: 'required' };
    return navigator.credentials.create({ publicKey, signal });
  }, timeoutMs);
}

/**
 * Signs a login challenge with this member's passkey.
 * @param {any} optionsJson  PublicKeyCredentialRequestOptionsJSON from /api/login/start
 * @param {{timeoutMs?: number}} [options]
 * @returns {Promise<any>} AuthenticationResponseJSON
 */
export function getPasskey(optionsJson, { timeoutMs = PASSKEY_TIMEOUT_MS } = {}) {
  const PKC = webauthn();
  if (typeof PKC?.parseRequestOptionsFromJSON !== 'function' || !globalThis.navigator?.credentials?.get) {
    return Promise.reject(new PasskeyFailed('Unsupported', 'this browser has no WebAuthn JSON helpers'));
  }
  return withTimeout((signal) => {
    const publicKey = PKC.parseRequestOptionsFromJSON(optionsJson);
    publicKey.userVerification = 'required';
    return navigator.credentials.get({ publicKey, signal });
  }, timeoutMs);
}
