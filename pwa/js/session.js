/**
 * Who uses the app right now, and whether the server knows them (issue 3). Three layers, each with its
 * own key:
 *
 *   enrolled here   the member entries in the directory (db.listMembers): plaintext, no secret
 *   unlocked        the PIN opened this member's data: their keys are in memory (db.useVault) and a
 *                   syncer bound to them exists. Works with no signal at all.
 *   logged in       the browser's session cookie is this member's device's (`auth: 'ok'`). Needed only
 *                   to sync; a device key logs in by itself, a passkey needs the member's tap.
 *
 * Locking (switching member, the shared tablet's idle lock, logging out) forgets the keys (the syncer
 * bound to them stops with LockedError) and ends the server session too, so the next person cannot read
 * the member's scope through the cookie by opening an API URL (offline: as soon as the app can).
 * Nothing here deletes a member's data: the outbox waits, encrypted, for that member's next login.
 *
 * A device-key member's PIN login key (pin.js) is one of the keys forgotten at a lock: it exists only
 * while the member is unlocked, in this closure, and proves the PIN at every login (issue 9, hole 6).
 */

import { ApiError } from './api.js';
import { endPendingSession, endServerSession, login, loginStart, reportLockouts } from './auth.js';
import * as directory from './db.js';
import { finishEnrollment, isFresh } from './enrollment.js';
import { unlockWithPin } from './pin.js';
import { createSyncer } from './sync-client.js';

/**
 * @typedef {'unknown' | 'ok' | 'needed' | 'failed'} AuthState
 *   unknown: not asked yet or offline; needed: log in (passkey: tap); failed: the server refuses this
 *   device (locked or revoked): only a new enrollment helps
 */

/**
 * @param {{api: import('./api.js').Api, origin: string,
 *          onSync: (state: import('./sync-client.js').SyncState) => void | Promise<void>,
 *          onChange: () => void | Promise<void>}} deps
 */
export function createSession({ api, origin, onSync, onChange }) {
  const state = {
    /** @type {any} the unlocked member's directory entry */
    entry: null,
    /** @type {import('./db.js').MemberData | null} */
    data: null,
    /** @type {any} */ member: null,
    /** @type {any} */ device: null,
    /** @type {any[]} */ grids: [],
    /** @type {AuthState} */
    auth: 'unknown',
    /** @type {{code?: string, message?: string} | null} */
    authError: null,
    /** @type {{pending: import('./enrollment.js').PendingEnrollment, existing: any} | null} */
    enrolling: null,
    /** @type {ReturnType<typeof createSyncer> | null} */
    syncer: null,
  };
  /** @type {any} a login ceremony fetched ahead of the member's tap */
  let loginAhead = null;
  /** @type {CryptoKey | null} the unlocked device-key member's PIN login key; memory only */
  let pinKey = null;
  /** @type {Promise<unknown>} the last lock's logout: a login must not overtake it (it would be ended) */
  let ending = Promise.resolve();
  let autoLoginTried = false;

  async function loadMeta() {
    if (!state.data) return;
    const meta = await state.data.getMetaMany(['member', 'device', 'grids']);
    Object.assign(state, { member: meta.member, device: meta.device, grids: meta.grids ?? [] });
  }

  /**
   * @param {any} entry
   * @param {import('./db.js').MemberData} data
   * @param {CryptoKey | null} key  the PIN login key (device keys)
   */
  async function opened(entry, data, key) {
    state.syncer = null;
    pinKey = key;
    Object.assign(state, { entry, data, auth: /** @type {AuthState} */ ('unknown'), authError: null });
    autoLoginTried = false;
    loginAhead = null;
    await loadMeta();
    const syncer = createSyncer({
      api,
      db: data,
      deviceId: entry.device.id,
      onChange: async (sync) => {
        if (state.syncer !== syncer) return; // a member who has been locked meanwhile
        if (!sync.running) await afterRound(sync.last);
        await onSync(sync);
      },
    });
    state.syncer = syncer;
    await onChange();
  }

  /** @param {{ok: boolean, code?: string, message?: string} | null} last */
  async function afterRound(last) {
    if (!last) return;
    if (last.ok) {
      state.auth = 'ok';
      autoLoginTried = false;
      await loadMeta();
    } else if (last.code === 'unauthenticated') {
      state.auth = 'needed';
      if (state.entry?.method === 'device_key' && !autoLoginTried) {
        autoLoginTried = true;
        // Not awaited: the round that found out must end before the next one can start.
        setTimeout(() => logIn().catch(() => {}), 0);
      } else if (state.entry?.method === 'passkey') {
        prepareLogin();
      }
    }
  }

  /**
   * Logs the unlocked member in, then syncs. A passkey member calls this from a tap.
   * @returns {Promise<boolean>}
   */
  async function logIn() {
    const entry = state.entry;
    if (!entry) return false;
    const start = isFreshLogin(loginAhead, entry.device.id) ? loginAhead : undefined;
    loginAhead = null;
    try {
      await ending;
      await login({ api, member: entry, origin, start, pinKey });
      directory.setSettings({ logoutPending: false }).catch(() => {});
    } catch (error) {
      if (state.entry !== entry) return false;
      const e = /** @type {any} */ (error);
      const refused = e instanceof ApiError && e.status === 401;
      state.auth = refused ? 'failed' : 'needed';
      state.authError = { code: refused ? 'device_refused' : (e?.code ?? e?.reason ?? 'unknown'), message: String(e?.message ?? e) };
      await onChange();
      if (!refused && entry.method === 'passkey') prepareLogin();
      return false;
    }
    if (state.entry !== entry) return false;
    Object.assign(state, { auth: /** @type {AuthState} */ ('ok'), authError: null });
    await onChange();
    state.syncer?.run();
    return true;
  }

  /** Fetches a login ceremony before the tap, so the passkey prompt can follow the tap at once. */
  function prepareLogin() {
    const entry = state.entry;
    if (!entry || entry.method !== 'passkey' || !navigator.onLine) return;
    loginStart(api, entry.device.id).then(
      (start) => {
        if (state.entry === entry) loginAhead = start;
      },
      () => {},
    );
  }

  return {
    state,

    /**
     * @param {number} memberId
     * @param {string} pin
     */
    async unlock(memberId, pin) {
      const result = await unlockWithPin(directory, memberId, pin);
      if (result.status === 'ok') await opened(result.entry, directory.useVault(memberId, result.keys), result.pinKey);
      else if (result.status === 'locked') reportLockouts(api, directory).catch(() => {});
      return result;
    },

    /**
     * 切换成员 (and the shared tablet's idle lock): forget the keys and the syncer bound to them, and end
     * the server session; the data stays, encrypted.
     */
    async lock() {
      state.syncer = null;
      pinKey = null;
      directory.forgetVault();
      Object.assign(state, { entry: null, data: null, member: null, device: null, grids: [], auth: 'unknown', authError: null });
      loginAhead = null;
      ending = endServerSession(api, directory);
      await onChange();
      await ending;
    },

    /** 退出登录: the same as locking, from the 我的 screen (after a warning about unsynced records). */
    logout() {
      return this.lock();
    },

    /** Nobody is unlocked: end a session an offline lock left behind, or one a closed tab left. */
    endStraySession() {
      if (state.data) return Promise.resolve();
      ending = endPendingSession(api, directory);
      return ending;
    },

    logIn,
    prepareLogin,

    /** @param {{pending: import('./enrollment.js').PendingEnrollment, existing: any}} enrolling */
    async enrolled(enrolling) {
      state.enrolling = enrolling;
      await onChange();
    },

    /**
     * @param {string} pin  already checked and confirmed by the screen
     */
    async setPin(pin) {
      if (!state.enrolling) throw new Error('no enrollment waits for a PIN');
      const { pending, existing } = state.enrolling;
      const { entry, data, pinKey: key } = await finishEnrollment({ db: directory, api, pending, pin, existing });
      state.enrolling = null;
      await opened(entry, data, key);
      state.auth = 'ok'; // enrollment set the cookie
      state.syncer?.run();
      return entry;
    },

    /** @param {boolean} [force]  also when the phone thinks it is offline (it can be wrong) */
    sync(force = false) {
      if (!state.syncer || (!force && !navigator.onLine)) return Promise.resolve(null);
      return state.syncer.run();
    },

    reportLockouts: () => reportLockouts(api, directory),
  };
}

/**
 * @param {any} start
 * @param {string} deviceId
 */
function isFreshLogin(start, deviceId) {
  return Boolean(start) && start.deviceId === deviceId && Date.now() - start.fetchedAt < 60_000;
}

/** @typedef {ReturnType<typeof createSession>} Session */
