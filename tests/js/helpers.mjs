// Shared test helpers: a seeded PRNG, op factories and a random op-set generator.
// Not a test file (node --test picks up *.test.mjs only).

import { applyOp } from '../../pwa/js/sync/merge.js';
import { encodeClock } from '../../pwa/js/sync/clock.js';

/** @typedef {import('../../pwa/js/sync/types.js').Op} Op */
/** @typedef {import('../../pwa/js/sync/types.js').State} State */

/**
 * mulberry32: tiny, seedable, good enough to shuffle test inputs reproducibly.
 * @param {number} seed
 */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** @param {number} n */
  const int = (n) => Math.floor(next() * n);
  return {
    next,
    int,
    /** @template T @param {T[]} list @returns {T} */
    pick: (list) => list[int(list.length)],
    /** @template T @param {T[]} list @returns {T[]} a shuffled copy */
    shuffle(list) {
      const out = [...list];
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    },
  };
}

export const RECORD = '019aa5e2-3c40-7f00-9a11-0e3d2c4b5a69';

/** @param {number} n  a readable, sortable fake op id */
export const opId = (n) => `019aa5e2-0000-7000-8000-${String(n).padStart(12, '0')}`;

/** @param {number} wall @param {number} [counter] */
export const clockAt = (wall, counter = 0) => encodeClock(wall, counter);

/**
 * @param {Partial<Op>} overrides
 * @returns {Op}
 */
export function makeOp(overrides = {}) {
  const op = {
    id: opId(1),
    record: RECORD,
    type: 'visit',
    household: 'hh-0f3a9c2e5b7d',
    clock: clockAt(1000),
    replica: 'a1',
    kind: 'set',
    ...overrides,
  };
  if (op.kind === 'set' && op.fields === undefined) op.fields = { notes: 'n' };
  if (op.kind === 'append' && op.field === undefined) op.field = 'sessions';
  if (op.kind === 'append' && !('value' in op)) op.value = 'entry';
  return /** @type {Op} */ (op);
}

/**
 * @param {Op[]} ops
 * @param {State | null} [start]
 * @returns {State | null}
 */
export function fold(ops, start = null) {
  return ops.reduce((state, op) => applyOp(state, op), start);
}

/**
 * @template T
 * @param {T} value
 * @returns {T}
 */
export function deepFreeze(value) {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const REPLICAS = ['a1', 'b2', 'c3'];
const FIELDS = ['date', 'items', 'notes', 'request', 'constructor'];
const VALUES = [null, 'x', '老人身体尚好', 0, 1.5, true, ['policy', 'safety'], { k: [1, { z: null }] }];

/**
 * A random op set for one record: few clocks and replicas so that ties on clock (and on clock + replica,
 * which only a misbehaving client produces) are common.
 * @param {ReturnType<typeof prng>} rng
 * @param {number} count
 * @param {number} [firstId]
 * @returns {Op[]}
 */
export function randomOps(rng, count, firstId = 1) {
  /** @type {Op[]} */
  const ops = [];
  for (let i = 0; i < count; i++) {
    const kind = rng.pick(['set', 'set', 'set', 'append', 'append', 'delete', 'restore']);
    /** @type {Partial<Op>} */
    const overrides = {
      id: opId(firstId + i),
      kind: /** @type {any} */ (kind),
      clock: clockAt(1000 + rng.int(4), rng.int(2)),
      replica: rng.pick(REPLICAS),
    };
    if (rng.next() < 0.5) overrides.author = 1 + rng.int(3);
    if (kind === 'set') {
      const fields = /** @type {Record<string, any>} */ ({});
      const n = 1 + rng.int(3);
      for (let k = 0; k < n; k++) fields[rng.pick(FIELDS)] = rng.pick(VALUES);
      overrides.fields = fields;
    }
    if (kind === 'append') {
      overrides.field = rng.pick(['sessions', 'followups']);
      overrides.value = rng.pick(VALUES);
    }
    ops.push(makeOp(overrides));
  }
  return ops;
}
