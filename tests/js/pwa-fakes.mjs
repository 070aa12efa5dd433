// In-memory stand-ins for the PWA's IndexedDB module (pwa/js/db.js) and for the server, for Node tests of
// the outbox, the sync client, enrollment and login. Not a test file (node --test picks up *.test.mjs only).
// The fake db has the same verbs as one member's data in db.js (db/member-data.js), with the same
// semantics, minus the encryption; the e2e suite runs the real one in Chromium (e2e/test_db.py).

import { decode } from '../../pwa/js/base64url.js';
import { signedMessage } from '../../pwa/js/device-key.js';
import { applyOp, mergeStates } from '../../pwa/js/sync/merge.js';
import { stateToCompact } from '../../pwa/js/sync/storage.js';

export function fakeDb() {
  const meta = new Map();
  const households = new Map();
  const records = new Map();
  /** @type {Map<string, any>} a record's state without its unsent ops (db/member-data.js) */
  const bases = new Map();
  /** @type {Map<number, any>} */
  const outbox = new Map();
  let seq = 0;
  const copy = (/** @type {any} */ v) => (v === undefined ? undefined : structuredClone(v));
  const unsent = (/** @type {string} */ id) => [...outbox.values()].some((entry) => entry.op.record === id);
  /** @param {string[]} ids  records with an outbox entry stay */
  function dropIds(ids) {
    const dropped = ids.filter((id) => records.has(id) && !unsent(id));
    for (const id of dropped) {
      records.delete(id);
      bases.delete(id);
    }
    return dropped;
  }

  return {
    meta, households, records, bases, outbox,
    async getMeta(/** @type {string} */ key) { return copy(meta.get(key)); },
    async getMetaMany(/** @type {string[]} */ keys) { return Object.fromEntries(keys.map((k) => [k, copy(meta.get(k))])); },
    async setMeta(/** @type {Record<string, any>} */ entries) {
      for (const [k, v] of Object.entries(entries)) v === undefined ? meta.delete(k) : meta.set(k, copy(v));
    },
    async saveHouseholds(/** @type {any} */ { households: page, grids, meta: extra = {} }) {
      const mine = new Set(grids);
      const gridOf = (/** @type {any} */ h) => h.grid?.id ?? h.grid;
      for (const h of page) if (mine.has(gridOf(h))) households.set(h.id, copy(h));
      for (const [id, h] of households) if (!mine.has(gridOf(h))) households.delete(id);
      for (const [k, v] of Object.entries(extra)) meta.set(k, copy(v));
    },
    async listHouseholds() { return [...households.values()].map(copy); },
    async getRecord(/** @type {string} */ id) { return copy(records.get(id)); },
    async getRecords(/** @type {string[]} */ ids) {
      return new Map(ids.filter((id) => records.has(id)).map((id) => [id, copy(records.get(id))]));
    },
    async listRecords(/** @type {string | undefined} */ type) {
      return [...records.values()].filter((r) => type === undefined || r.type === type).map(copy);
    },
    async saveLocalOp(/** @type {any} */ { wireOp, state, clock, createdAt }) {
      if (!bases.has(state.id)) bases.set(state.id, copy(records.get(state.id) ?? null));
      meta.set('clock', copy(clock));
      records.set(state.id, copy(state));
      seq += 1;
      outbox.set(seq, { seq, op: copy(wireOp), status: 'pending', createdAt });
      return seq;
    },
    async saveRemoteOps(/** @type {any} */ { ops: pulled = [], received = [], states, clock, cursor, drop = [], meta: extra = {} }) {
      for (const state of states) {
        records.set(state.id, copy(state));
        if (!bases.has(state.id)) continue;
        if (!unsent(state.id)) {
          bases.delete(state.id);
          continue;
        }
        let base = bases.get(state.id);
        for (const op of pulled) if (op.record === state.id) base = applyOp(base, op);
        for (const got of received) if (got.id === state.id) base = mergeStates(base, got);
        bases.set(state.id, base);
      }
      meta.set('clock', copy(clock));
      meta.set('cursor', cursor);
      for (const [k, v] of Object.entries(extra)) meta.set(k, copy(v));
      dropIds(drop);
    },
    async dropRecords(/** @type {string[]} */ ids) { return dropIds(ids); },
    /** @type {any} the directory entry saveEnrollment stored */
    entry: null,
    async saveEnrollment(/** @type {any} */ entry, /** @type {Record<string, any>} */ values) {
      this.entry = entry;
      for (const [k, v] of Object.entries(values)) meta.set(k, copy(v));
    },
    async listOutbox() { return [...outbox.values()].sort((a, b) => a.seq - b.seq).map(copy); },
    async countOutbox() { return outbox.size; },
    async settleOutbox(/** @type {Map<number, any>} */ updates) {
      for (const [s, entry] of updates) {
        if (entry === null) outbox.delete(s);
        else if (outbox.has(s)) outbox.set(s, { ...copy(entry), seq: s });
      }
    },
    async discardLocalOp(/** @type {any} */ { seq: s, recordId }) {
      outbox.delete(s);
      const author = meta.get('member')?.id;
      const rest = [...outbox.values()].filter((entry) => entry.op.record === recordId);
      const state = rest.reduce((st, entry) => applyOp(st, { ...entry.op, author }), bases.get(recordId) ?? null);
      if (rest.length === 0) bases.delete(recordId);
      if (state === null) records.delete(recordId);
      else records.set(recordId, state);
    },
  };
}

/** A db as enrollment leaves it. */
export function enrolledDb({ memberId = 7, deviceId = 'dev0001', serverOffset = 0 } = {}) {
  const db = fakeDb();
  db.meta.set('device', { id: deviceId, label: 'test phone' });
  db.meta.set('member', { id: memberId, name: '张伟', role: 'member' });
  db.meta.set('grids', [{ id: 3, name: '第1网格' }]);
  db.meta.set('serverOffset', serverOffset);
  return db;
}

/** A directory of members (db/directory.js verbs) in memory. */
export function fakeDirectory() {
  /** @type {Map<number, any>} */
  const members = new Map();
  return {
    members,
    async listMembers() { return [...members.values()]; },
    async getMember(/** @type {number} */ id) { return members.get(id); },
    async updateMember(/** @type {number} */ id, /** @type {(e: any) => any} */ change) {
      const next = change(members.get(id));
      members.set(id, next);
      return next;
    },
  };
}

/**
 * A tiny server that speaks docs/sync-protocol.md §1, §2, §4–§8 well enough for the client: sessions
 * by cookie with a CSRF token, device-key enrollment and login (signatures and PIN proofs really checked,
 * wrong PINs counted, five lock the device), ops stored in sequence order and merged, pull with scope and
 * drop; and it can be told to fail.
 * @param {{memberId?: number, reject?: (op: any) => any, serverTime?: number, origin?: string,
 *          loggedIn?: string | null}} [options]  loggedIn: a device whose session the cookie holds
 */
export function fakeServer({ memberId = 7, reject = () => null, serverTime = 1763712000000, origin = 'http://phone.test', loggedIn = 'dev0001' } = {}) {
  /** @type {any[]} */
  const log = [];
  const states = new Map();
  /** @type {{method: string, path: string, body: any, headers: Record<string, string>}[]} */
  const requests = [];
  /** @type {((req: {method: string, path: string}) => Response | Error | null)[]} */
  const failures = [];
  /** @type {{device: string, csrf: string} | null} the session the browser's cookie holds */
  let session = loggedIn ? { device: loggedIn, csrf: `csrf-${loggedIn}` } : null;
  /** @type {Map<string, {member: number, method: string, publicKey?: CryptoKey, locked: boolean,
   *   pinVerifier?: string, failedPins?: number}>} */
  const devices = new Map(loggedIn ? [[loggedIn, { member: memberId, method: 'device_key', locked: false }]] : []);
  /** @type {Map<string, any>} */
  const ceremonies = new Map();
  const recoveryKeys = new Map();
  const scope = { grids: [3] };
  const households = [{ id: 'hh-1', grid: { id: 3, name: '第1网格' }, address: '1号楼1单元101', head: '王秀英', tags: [], care_level: 'green' }];
  /** @type {string[]} */
  const drop = [];
  let counter = 0;

  const json = (/** @type {number} */ status, /** @type {any} */ body) =>
    new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  const error = (/** @type {number} */ status, /** @type {string} */ code) => json(status, { error: { code, message: code } });

  /** @param {any} op  an op pushed by someone else, stored as if it came from another phone */
  function store(op) {
    if (log.some((o) => o.id === op.id)) return 'duplicate';
    const withAuthor = { ...op, author: op.author ?? memberId };
    log.push(withAuthor);
    states.set(op.record, applyOp(states.get(op.record) ?? null, withAuthor));
    return 'accepted';
  }

  /**
   * A snapshot (§5.1) with cursors "s:TIER:LAST:END": open work (tier 0) is what `isOpen` says, by id;
   * then the rest, newest id first; then an op cursor at the log's end when the snapshot began.
   * @param {string} after @param {number} limit
   */
  function snapshotPage(after, limit) {
    const [, tier = '0', last = '', end = String(log.length)] = after.split(':');
    const all = [...states.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    const inTier = tier === '0' ? all.filter((s) => isOpen(s) && s.id > last) : all.filter((s) => !isOpen(s) && (!last || s.id < last)).reverse();
    const page = inTier.slice(0, limit);
    const next = inTier.length > limit ? `s:${tier}:${page[page.length - 1].id}:${end}` : tier === '0' ? `s:1::${end}` : end;
    return {
      records: page.map(stateToCompact), ops: [], cursor: next, more: true, scope, drop: [],
      snapshot: { phase: tier === '0' ? 'open' : 'history', next: next.startsWith('s:0') ? 'open' : next.startsWith('s:1') ? 'history' : 'ops', total: all.length },
      server_time: serverTime,
    };
  }
  /** @param {any} state  open work: anything but a visit dated before November 2026 */
  const isOpen = (state) => state.type !== 'visit' || (state.fields.date?.value ?? '') >= '2026-11-01';

  /** @param {string} device */
  function startSession(device) {
    session = { device, csrf: `csrf-${device}-${++counter}` };
    return { device: { id: device, method: devices.get(device)?.method }, member: { id: memberId, name: '张伟', role: 'member' }, grids: [{ id: 3, name: '第1网格' }], csrf_token: session.csrf, server_time: serverTime };
  }

  /** @param {CryptoKey | undefined} key @param {string} purpose @param {string} challenge @param {string} signature */
  async function verified(key, purpose, challenge, signature) {
    if (!key) return false;
    const message = new TextEncoder().encode(signedMessage(/** @type {any} */ (purpose), origin, challenge));
    return crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, decode(signature), message);
  }

  /**
   * The PIN proof of a device-key login, as §2.2 defines it (written out here, not taken from the app).
   * @param {string} verifier  base64url, as registered
   * @param {string} challenge
   * @param {unknown} proof
   */
  async function pinProven(verifier, challenge, proof) {
    if (typeof proof !== 'string') return false;
    const key = await crypto.subtle.importKey('raw', decode(verifier), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    const message = new TextEncoder().encode(`lianhu-login-pin\n${origin}\n${challenge}`);
    return crypto.subtle.verify('HMAC', key, decode(proof), message);
  }

  /** @param {string} path @param {any} body */
  async function auth(path, body) {
    if (path === '/api/enroll/start') {
      if (body.code.replace(/[^A-Z0-9]/gi, '').toUpperCase() !== 'ABCDEFGH') return error(400, 'invalid_code');
      const ceremony = `c${++counter}`;
      ceremonies.set(ceremony, { challenge: `challenge${counter}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA` });
      return json(200, { ceremony, member: { id: memberId, name: '张伟' }, passkey: { challenge: 'x' }, device_key: ceremonies.get(ceremony), expires_in: 300, server_time: serverTime });
    }
    if (path === '/api/enroll/device-key') {
      const ceremony = ceremonies.get(body.ceremony);
      ceremonies.delete(body.ceremony);
      if (!ceremony) return error(400, 'invalid_ceremony');
      const publicKey = await crypto.subtle.importKey('jwk', body.public_key, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
      if (!(await verified(publicKey, 'enroll', ceremony.challenge, body.signature))) return error(400, 'invalid_credential');
      const id = `dev${String(++counter).padStart(13, '0')}`;
      devices.set(id, { member: memberId, method: 'device_key', publicKey, locked: false });
      const previous = body.previous_device && devices.get(body.previous_device)?.member === memberId ? recoveryKeys.get(body.previous_device) : null;
      const recovery = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
      recoveryKeys.set(id, recovery);
      return json(201, { ...startSession(id), device: { id, label: body.label ?? null, method: 'device_key', shared: Boolean(body.shared) }, recovery_key: recovery, previous_recovery_key: previous ?? null });
    }
    if (path === '/api/enroll/passkey') {
      const ceremony = ceremonies.get(body.ceremony);
      ceremonies.delete(body.ceremony);
      if (!ceremony) return error(400, 'invalid_ceremony');
      if (body.credential?.id !== 'good-passkey') return error(400, 'invalid_credential');
      const id = `dev${String(++counter).padStart(13, '0')}`;
      devices.set(id, { member: memberId, method: 'passkey', locked: false });
      const recovery = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
      recoveryKeys.set(id, recovery);
      return json(201, { ...startSession(id), device: { id, label: body.label ?? null, method: 'passkey', shared: Boolean(body.shared) }, recovery_key: recovery, previous_recovery_key: null });
    }
    if (path === '/api/login/start') {
      const device = devices.get(body.device);
      if (!device || device.locked) return error(401, 'unauthenticated');
      const ceremony = `c${++counter}`;
      ceremonies.set(ceremony, { challenge: `login${counter}BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB`, device: body.device });
      return json(200, { ceremony, method: device.method, device_key: { challenge: ceremonies.get(ceremony).challenge } });
    }
    if (path === '/api/login/device-key') {
      const ceremony = ceremonies.get(body.ceremony);
      ceremonies.delete(body.ceremony);
      if (!ceremony) return error(400, 'invalid_ceremony');
      const device = devices.get(ceremony.device);
      if (!device || device.locked) return error(401, 'unauthenticated');
      // The signature first: a bad one is not a PIN guess and is not counted (§2.2).
      if (!(await verified(device.publicKey, 'login', ceremony.challenge, body.signature))) return error(400, 'invalid_credential');
      if (!device.pinVerifier) return error(401, 'unauthenticated');
      if (body.pin_proof === undefined) return error(400, 'pin_required');
      if (!(await pinProven(device.pinVerifier, ceremony.challenge, body.pin_proof))) {
        device.failedPins = (device.failedPins ?? 0) + 1;
        if (device.failedPins < 5) return json(400, { error: { code: 'wrong_pin', message: 'wrong_pin', attempts_left: 5 - device.failedPins } });
        device.locked = true;
        if (session?.device === ceremony.device) session = null;
        return error(401, 'pin_locked');
      }
      device.failedPins = 0;
      return json(200, startSession(ceremony.device));
    }
    if (path === '/api/device/lockout') {
      const device = devices.get(body.device);
      if (device) device.locked = true;
      if (session?.device === body.device) session = null;
      return json(204, null);
    }
    return null;
  }

  /** @type {typeof fetch} */
  async function fetch(input, init = {}) {
    const url = new URL(String(input), origin);
    const method = init.method ?? 'GET';
    const body = init.body ? JSON.parse(String(init.body)) : undefined;
    const headers = /** @type {Record<string, string>} */ (init.headers ?? {});
    requests.push({ method, path: url.pathname + url.search, body, headers });
    const failure = failures.shift()?.({ method, path: url.pathname });
    if (failure instanceof Error) throw failure;
    if (failure) return failure;
    const answer = await auth(url.pathname, body);
    if (answer) return answer;
    if (!session) return error(401, 'unauthenticated');
    if (method !== 'GET' && headers['X-CSRF-Token'] !== session.csrf) return error(403, 'csrf_failed');
    if (url.pathname === '/api/logout') {
      session = null;
      return json(204, null);
    }
    if (url.pathname === '/api/device/pin') {
      const device = devices.get(session.device);
      if (!device || device.method !== 'device_key' || typeof body?.verifier !== 'string' || decode(body.verifier).length !== 32) {
        return error(400, 'invalid_request');
      }
      if (device.pinVerifier && device.pinVerifier !== body.verifier) return error(409, 'pin_already_set');
      device.pinVerifier = body.verifier;
      return json(204, null);
    }
    if (url.pathname === '/api/sync/push') {
      const results = body.ops.map((/** @type {any} */ op) => {
        const rejection = reject(op);
        if (rejection) return { id: op.id, status: 'rejected', ...rejection };
        return { id: op.id, status: store(op) };
      });
      return json(200, { results, server_time: serverTime });
    }
    if (url.pathname === '/api/sync/pull') {
      const after = url.searchParams.get('after') || '';
      const limit = Number(url.searchParams.get('limit'));
      if (after.startsWith('s:') || (!after && url.searchParams.get('snapshot') === 'true')) return json(200, snapshotPage(after, limit));
      const from = Number(after || 0);
      const page = log.slice(from, from + Math.min(limit, 1000));
      const cursor = String(from + page.length);
      return json(200, { ops: page, cursor, more: from + page.length < log.length, scope, drop: drop.splice(0), server_time: serverTime });
    }
    if (url.pathname === '/api/households') {
      if (!url.searchParams.has('limit')) return json(200, { households, server_time: serverTime });
      // Every household every time: as many as a client must take; the scope says which to keep (§8.1).
      return json(200, { households, cursor: 'h', more: false, scope, server_time: serverTime });
    }
    if (url.pathname === '/api/me') {
      return json(200, { member: { id: memberId, name: '张伟', role: 'member' }, device: { id: session.device }, grids: [{ id: 3, name: '第1网格' }], csrf_token: session.csrf, server_time: serverTime });
    }
    if (url.pathname === '/api/members') {
      const ids = new Set([memberId, ...log.map((op) => op.author)]);
      return json(200, { members: [...ids].map((id) => ({ id, name: id === memberId ? '张伟' : `成员${id}`, role: 'member' })) });
    }
    return error(404, 'not_found');
  }

  return {
    fetch, log, states, requests, failures, store, json, devices, scope, drop, recoveryKeys, households,
    get session() { return session; },
    set session(value) { session = value; },
  };
}
