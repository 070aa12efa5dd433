/**
 * The server's HTTP API (docs/sync-protocol.md), as plain async functions. Failures come out as one of
 * two errors so callers can tell "try again later" from "the server said no":
 *
 *   NetworkError   no answer at all (offline, DNS, connection reset): retry later
 *   ApiError       an answer with a status ≥ 400; `code` is the stable error code (§6) or "http_<status>"
 */

export class NetworkError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'NetworkError';
    this.code = 'network';
  }
}

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {string | undefined} messageZh
   */
  constructor(status, code, message, messageZh) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.messageZh = messageZh;
  }

  /** 5xx and 429: the request may succeed if sent again unchanged. */
  get retryable() {
    return this.status >= 500 || this.status === 429;
  }
}

/**
 * @typedef {object} ApiOptions
 * @property {typeof fetch} [fetch]          injected in tests
 * @property {string} [base]                 URL prefix, "" for the same origin
 * @property {(serverTime: number, receivedAt: number) => void} [onServerTime]  every body with server_time
 */

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * The session is the HttpOnly cookie the server sets at enrollment and login (§2.1): same-origin fetch
 * sends it. Every state-changing request also carries X-CSRF-Token, which the api picks up from any
 * answer that has a `csrf_token` (enrollment, login, /api/me) and keeps in memory only.
 * @param {ApiOptions} [options]
 */
export function createApi({ fetch: fetchFn = globalThis.fetch.bind(globalThis), base = '', onServerTime } = {}) {
  /** @type {string | null} */
  let csrf = null;

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<any>}
   */
  async function call(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = { Accept: 'application/json' };
    if (!SAFE_METHODS.has(method) && csrf) headers['X-CSRF-Token'] = csrf;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetchFn(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'same-origin',
      });
    } catch (error) {
      throw new NetworkError(`${method} ${path} failed: ${error instanceof Error ? error.message : error}`);
    }
    const receivedAt = Date.now();
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch {
        // Not JSON: a proxy's error page, or a body cut off by a dropped connection.
        if (response.ok) throw new NetworkError(`${method} ${path}: the response body was not JSON`);
      }
    }
    if (!response.ok) {
      const error = data && typeof data === 'object' ? data.error : null;
      throw new ApiError(
        response.status,
        error?.code ?? `http_${response.status}`,
        error?.message ?? `${method} ${path} answered ${response.status}`,
        error?.message_zh,
      );
    }
    if (data && typeof data.csrf_token === 'string') csrf = data.csrf_token;
    if (data && typeof data.server_time === 'number') onServerTime?.(data.server_time, receivedAt);
    return data;
  }

  const post = (/** @type {string} */ path, /** @type {unknown} */ body) => call('POST', path, body);

  return {
    /** Forgets the CSRF token (after logout, or when the session turned out to be another member's). */
    forgetSession() {
      csrf = null;
    },
    get hasCsrf() {
      return csrf !== null;
    },
    /** @param {string} code  as typed; the server ignores case, spaces and dashes */
    enrollStart: (code) => post('/api/enroll/start', { code }),
    /** @param {Record<string, unknown>} body  {ceremony, credential, label, shared, previous_device} */
    enrollPasskey: (body) => post('/api/enroll/passkey', { ...body, session: 'cookie' }),
    /** @param {Record<string, unknown>} body  {ceremony, public_key, signature, label, shared, previous_device} */
    enrollDeviceKey: (body) => post('/api/enroll/device-key', { ...body, session: 'cookie' }),
    /** @param {string} device */
    loginStart: (device) => post('/api/login/start', { device }),
    /** @param {string} ceremony @param {any} credential */
    loginPasskey: (ceremony, credential) => post('/api/login/passkey', { ceremony, credential, session: 'cookie' }),
    /** @param {string} ceremony @param {string} signature @param {string | null} pinProof */
    loginDeviceKey: (ceremony, signature, pinProof) =>
      post('/api/login/device-key', { ceremony, signature, ...(pinProof ? { pin_proof: pinProof } : {}), session: 'cookie' }),
    /** @param {string} verifier  the device's PIN verifier, once, right after enrollment (§1.1) */
    registerPin: (verifier) => post('/api/device/pin', { verifier }),
    logout: () => post('/api/logout', {}),
    /** @param {string} device  no session needed (§2.3) */
    reportLockout: (device, lockoutKey) => post('/api/device/lockout', { device, lockout_key: lockoutKey }),
    me: () => call('GET', '/api/me'),
    members: () => call('GET', '/api/members'),
    /**
     * Without arguments the whole list in one answer; with a page (§8.1) the households changed since
     * `after` (all of them when it is empty), `limit` at a time.
     * @param {{after?: string | null, limit: number}} [page]
     */
    households: (page) => {
      if (!page) return call('GET', '/api/households');
      const query = new URLSearchParams({ limit: String(page.limit) });
      if (page.after) query.set('after', page.after);
      return call('GET', `/api/households?${query}`);
    },
    /** @param {object[]} ops */
    push: (ops) => post('/api/sync/push', { ops }),
    /**
     * @param {string | null | undefined} after
     * @param {number} limit
     * @param {{snapshot?: boolean}} [options]  snapshot: without `after`, start with the records' states (§5.1)
     */
    pull: (after, limit, { snapshot = false } = {}) => {
      const query = new URLSearchParams({ limit: String(limit) });
      if (after) query.set('after', after);
      else if (snapshot) query.set('snapshot', 'true');
      return call('GET', `/api/sync/pull?${query}`);
    },
  };
}

/** @typedef {ReturnType<typeof createApi>} Api */
