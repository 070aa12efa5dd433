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
 * @property {() => string | null | undefined | Promise<string | null | undefined>} [token]
 * @property {(serverTime: number, receivedAt: number) => void} [onServerTime]  every body with server_time
 */

/**
 * @param {ApiOptions} [options]
 */
export function createApi({ fetch: fetchFn = globalThis.fetch.bind(globalThis), base = '', token, onServerTime } = {}) {
  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<any>}
   */
  async function call(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = { Accept: 'application/json' };
    const secret = token ? await token() : null;
    if (secret) headers.Authorization = `Bearer ${secret}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetchFn(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (error) {
      throw new NetworkError(`${method} ${path} failed: ${error instanceof Error ? error.message : error}`);
    }
    const receivedAt = Date.now();
    let data = null;
    try {
      data = await response.json();
    } catch {
      // Not JSON: a proxy's error page, or a body cut off by a dropped connection.
      if (response.ok) throw new NetworkError(`${method} ${path}: the response body was not JSON`);
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
    if (data && typeof data.server_time === 'number') onServerTime?.(data.server_time, receivedAt);
    return data;
  }

  return {
    /**
     * @param {string} code  as typed; the server ignores case, spaces and dashes
     * @param {string} [label]
     */
    enroll: (code, label) => call('POST', '/api/enroll', label ? { code, label } : { code }),
    me: () => call('GET', '/api/me'),
    households: () => call('GET', '/api/households'),
    /** @param {object[]} ops */
    push: (ops) => call('POST', '/api/sync/push', { ops }),
    /**
     * @param {string | null | undefined} after
     * @param {number} limit
     */
    pull: (after, limit) => {
      const query = new URLSearchParams({ limit: String(limit) });
      if (after) query.set('after', after);
      return call('GET', `/api/sync/pull?${query}`);
    },
    /** @param {string} recordId */
    history: (recordId) => call('GET', `/api/records/${encodeURIComponent(recordId)}/history`),
  };
}

/** @typedef {ReturnType<typeof createApi>} Api */
