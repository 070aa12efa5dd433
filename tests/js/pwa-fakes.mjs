// In-memory stand-ins for the PWA's IndexedDB module (pwa/js/db.js) and for the server, for Node tests of
// the outbox and the sync client. Not a test file (node --test picks up *.test.mjs only).
// The fake db exports the same verbs as db.js with the same semantics; the e2e suite runs the real one in
// Chromium (e2e/test_db.py).

import { applyOp } from '../../pwa/js/sync/merge.js';

export function fakeDb() {
  const meta = new Map();
  const households = new Map();
  const records = new Map();
  const ops = new Map();
  /** @type {Map<number, any>} */
  const outbox = new Map();
  let seq = 0;
  const copy = (/** @type {any} */ v) => (v === undefined ? undefined : structuredClone(v));

  return {
    meta, households, records, ops, outbox,
    async getMeta(/** @type {string} */ key) { return copy(meta.get(key)); },
    async getMetaMany(/** @type {string[]} */ keys) { return Object.fromEntries(keys.map((k) => [k, copy(meta.get(k))])); },
    async setMeta(/** @type {Record<string, any>} */ entries) {
      for (const [k, v] of Object.entries(entries)) v === undefined ? meta.delete(k) : meta.set(k, copy(v));
    },
    async replaceHouseholds(/** @type {any[]} */ list) {
      households.clear();
      for (const h of list) households.set(h.id, copy(h));
    },
    async listHouseholds() { return [...households.values()].map(copy); },
    async getRecord(/** @type {string} */ id) { return copy(records.get(id)); },
    async getRecords(/** @type {string[]} */ ids) {
      return new Map(ids.filter((id) => records.has(id)).map((id) => [id, copy(records.get(id))]));
    },
    async listRecords(/** @type {string} */ type) { return [...records.values()].filter((r) => r.type === type).map(copy); },
    async listOpsOfRecord(/** @type {string} */ id) { return [...ops.values()].filter((o) => o.record === id).map(copy); },
    async saveLocalOp(/** @type {any} */ { op, wireOp, state, clock, createdAt }) {
      meta.set('clock', copy(clock));
      records.set(state.id, copy(state));
      ops.set(op.id, copy(op));
      seq += 1;
      outbox.set(seq, { seq, op: copy(wireOp), status: 'pending', createdAt });
      return seq;
    },
    async saveRemoteOps(/** @type {any} */ { ops: pulled, states, clock, cursor }) {
      for (const op of pulled) ops.set(op.id, copy(op));
      for (const state of states) records.set(state.id, copy(state));
      meta.set('clock', copy(clock));
      meta.set('cursor', cursor);
    },
    async listOutbox() { return [...outbox.values()].sort((a, b) => a.seq - b.seq).map(copy); },
    async countOutbox() { return outbox.size; },
    async settleOutbox(/** @type {Map<number, any>} */ updates) {
      for (const [s, entry] of updates) {
        if (entry === null) outbox.delete(s);
        else if (outbox.has(s)) outbox.set(s, { ...copy(entry), seq: s });
      }
    },
    async discardLocalOp(/** @type {any} */ { seq: s, opId, recordId, state }) {
      outbox.delete(s);
      ops.delete(opId);
      if (state === null) records.delete(recordId);
      else records.set(recordId, copy(state));
    },
  };
}

/** A db as enrollment leaves it. */
export function enrolledDb({ memberId = 7, deviceId = 'dev0001', serverOffset = 0 } = {}) {
  const db = fakeDb();
  db.meta.set('token', 'secret-token');
  db.meta.set('device', { id: deviceId, label: 'test phone' });
  db.meta.set('member', { id: memberId, name: '张伟', role: 'member' });
  db.meta.set('grids', [{ id: 3, name: '第1网格' }]);
  db.meta.set('serverOffset', serverOffset);
  return db;
}

/**
 * A tiny server that speaks docs/sync-protocol.md §4–§7 well enough for the client: it stores ops in
 * sequence order, merges them, and can be told to fail.
 * @param {{memberId?: number, reject?: (op: any) => any, serverTime?: number}} [options]
 */
export function fakeServer({ memberId = 7, reject = () => null, serverTime = 1763712000000 } = {}) {
  /** @type {any[]} */
  const log = [];
  const states = new Map();
  /** @type {{method: string, path: string, body: any}[]} */
  const requests = [];
  /** @type {((req: {method: string, path: string}) => Response | Error | null)[]} */
  const failures = [];

  const json = (/** @type {number} */ status, /** @type {any} */ body) =>
    new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

  /** @param {any} op  an op pushed by someone else, stored as if it came from another phone */
  function store(op) {
    if (log.some((o) => o.id === op.id)) return 'duplicate';
    const withAuthor = { ...op, author: op.author ?? memberId };
    log.push(withAuthor);
    states.set(op.record, applyOp(states.get(op.record) ?? null, withAuthor));
    return 'accepted';
  }

  /** @type {typeof fetch} */
  async function fetch(input, init = {}) {
    const url = new URL(String(input), 'http://phone.test');
    const method = init.method ?? 'GET';
    const body = init.body ? JSON.parse(String(init.body)) : undefined;
    requests.push({ method, path: url.pathname + url.search, body });
    const failure = failures.shift()?.({ method, path: url.pathname });
    if (failure instanceof Error) throw failure;
    if (failure) return failure;
    if (url.pathname === '/api/sync/push') {
      const results = body.ops.map((/** @type {any} */ op) => {
        const rejection = reject(op);
        if (rejection) return { id: op.id, status: 'rejected', ...rejection };
        return { id: op.id, status: store(op) };
      });
      return json(200, { results, server_time: serverTime });
    }
    if (url.pathname === '/api/sync/pull') {
      const after = Number(url.searchParams.get('after') || 0);
      const limit = Number(url.searchParams.get('limit'));
      const page = log.slice(after, after + limit);
      const cursor = String(after + page.length);
      return json(200, { ops: page, cursor, more: after + page.length < log.length, server_time: serverTime });
    }
    if (url.pathname === '/api/households') {
      return json(200, { households: [{ id: 'hh-1', grid: 3, address: '1号楼1单元101', head: '王秀英', tags: [], care_level: 'green' }], server_time: serverTime });
    }
    if (url.pathname === '/api/me') {
      return json(200, { member: { id: memberId, name: '张伟', role: 'member' }, device: { id: 'dev0001' }, grids: [], server_time: serverTime });
    }
    const history = /^\/api\/records\/([^/]+)\/history$/.exec(url.pathname);
    if (history) {
      const ops = log.filter((o) => o.record === history[1]).map((o) => ({ ...o, author_name: `成员${o.author}` }));
      return json(200, { record: states.get(history[1]), ops, server_time: serverTime });
    }
    return json(404, { error: { code: 'not_found', message: 'no route' } });
  }

  return { fetch, log, states, requests, failures, store, json };
}
