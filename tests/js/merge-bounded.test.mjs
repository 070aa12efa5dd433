// Registers keep only their MAX_OVERWRITTEN most recent losers, and the state is still a function of the op
// set (twin of tests/sync/test_bounded_registers.py). Ops are crowded onto two fields and the tombstone so
// that registers overflow; every property compares with `model`, the state written down from the definition.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { compareStamps } from '../../pwa/js/sync/clock.js';
import { MAX_OVERWRITTEN, MergeError, applyOp, applyOps, mergeStates } from '../../pwa/js/sync/merge.js';
import { stateFromStorage, stateToStorage } from '../../pwa/js/sync/storage.js';
import { clockAt, fold, makeOp, opId, prng } from './helpers.mjs';

/** @typedef {import('../../pwa/js/sync/types.js').Op} Op */
/** @typedef {import('../../pwa/js/sync/types.js').State} State */

const KEEP = MAX_OVERWRITTEN + 1;
const SEEDS = Array.from({ length: 200 }, (_, i) => i + 1);
const VALUES = [null, 'x', '老人身体尚好', 0, 1.5, true, ['policy'], { k: [1, { z: null }] }];

/**
 * 10 to 28 ops, mostly sets of "notes" and "date", some deletes and restores, a few appends.
 * @param {ReturnType<typeof prng>} rng
 * @returns {Op[]}
 */
function crowdedOps(rng) {
  const count = 10 + rng.int(19);
  return Array.from({ length: count }, (_, i) => {
    const kind = rng.pick(['set', 'set', 'set', 'set', 'delete', 'restore', 'append']);
    /** @type {Partial<Op>} */
    const overrides = { id: opId(i + 1), kind: /** @type {any} */ (kind), clock: clockAt(1000 + rng.int(21), rng.int(2)),
      replica: rng.pick(['a1', 'b2', 'c3']) };
    if (rng.next() < 0.5) overrides.author = 1 + rng.int(3);
    if (kind === 'set') {
      overrides.fields = Object.fromEntries(rng.pick([['notes'], ['date'], ['date', 'notes']]).map((f) => [f, rng.pick(VALUES)]));
    }
    if (kind === 'append') Object.assign(overrides, { field: 'log', value: rng.pick(VALUES) });
    return makeOp(overrides);
  });
}

/**
 * The state the definition gives for a set of ops with distinct ids.
 * @param {Op[]} ops
 * @returns {State}
 */
function model(ops) {
  const sorted = [...ops].sort(compareStamps);
  /** @param {Op} op @param {any} value */
  const write = (op, value) => ({ value, clock: op.clock, replica: op.replica, op: op.id, author: op.author ?? null });
  /** @param {any[]} writes ascending */
  const register = (writes) => {
    const kept = writes.slice(-KEEP);
    return { ...kept[kept.length - 1], overwritten: kept.slice(0, -1) };
  };
  const names = [...new Set(sorted.flatMap((op) => Object.keys(op.fields ?? {})))].sort();
  const fields = Object.fromEntries(names.map((name) => [name,
    register(sorted.filter((op) => op.fields && Object.hasOwn(op.fields, name)).map((op) => write(op, op.fields?.[name])))]));
  const entries = sorted.filter((op) => op.kind === 'append')
    .map((op) => ({ id: op.id, value: op.value, clock: op.clock, replica: op.replica, author: op.author ?? null }));
  const toggles = sorted.filter((op) => op.kind === 'delete' || op.kind === 'restore').map((op) => write(op, op.kind === 'delete'));
  const { record: id, type, household } = ops[0];
  return { id, type, household, fields, logs: entries.length ? { log: entries } : {}, deleted: toggles.length ? register(toggles) : null };
}

/** @param {State} state */
const writeCount = (state) => Object.values(state.fields).reduce((n, r) => n + 1 + r.overwritten.length, 0)
  + (state.deleted ? 1 + state.deleted.overwritten.length : 0);

test('crowded ops overflow a register in most seeds (or the properties below test little)', () => {
  const overflowing = SEEDS.filter((seed) => {
    const ops = crowdedOps(prng(seed));
    const written = ops.reduce((n, op) => n + Object.keys(op.fields ?? {}).length + (op.kind === 'delete' || op.kind === 'restore' ? 1 : 0), 0);
    return writeCount(fold(ops)) < written;
  });
  assert.ok(overflowing.length >= 0.8 * SEEDS.length, `${overflowing.length} of ${SEEDS.length}`);
});

test('any order, with duplicates and author-less copies, gives the model state', () => {
  for (const seed of SEEDS) {
    const rng = prng(seed);
    const ops = crowdedOps(rng);
    const expected = model(ops);
    for (let round = 0; round < 3; round++) {
      const extra = ops.filter(() => rng.next() < 0.3).map((op) => (rng.next() < 0.5 ? { ...op, author: undefined } : op));
      const state = fold(rng.shuffle([...ops, ...extra]));
      assert.deepEqual(state, expected, `seed ${seed}`);
      assert.equal(JSON.stringify(state), JSON.stringify(expected), `seed ${seed}: key order`);
    }
  }
});

test('merging the states of any partition, in any order, gives the model state', () => {
  for (const seed of SEEDS) {
    const rng = prng(seed);
    const ops = crowdedOps(rng);
    const partOf = ops.map(() => rng.int(4));
    const parts = [0, 1, 2, 3].map((k) => ops.filter((_, i) => partOf[i] === k));
    let states = rng.shuffle(parts.filter((part) => part.length > 0).map((part) => fold(rng.shuffle(part))));
    while (states.length > 1) {
      const at = rng.int(states.length - 1);
      states.splice(at, 2, mergeStates(states[at], states[at + 1]));
    }
    assert.deepEqual(states[0], model(ops), `seed ${seed}`);
  }
});

test('merge of bounded states is commutative, associative and idempotent', () => {
  for (const seed of SEEDS) {
    const rng = prng(seed);
    const ops = crowdedOps(rng);
    const subset = () => fold(ops.filter(() => rng.next() < 0.6)) ?? fold([ops[0]]);
    const [a, b, c] = [subset(), subset(), subset()];
    assert.deepEqual(mergeStates(a, b), mergeStates(b, a), `seed ${seed}: commutative`);
    assert.deepEqual(mergeStates(mergeStates(a, b), c), mergeStates(a, mergeStates(b, c)), `seed ${seed}: associative`);
    assert.deepEqual(mergeStates(a, a), a, `seed ${seed}: idempotent`);
  }
});

test('applyOps equals applying the ops one by one', () => {
  for (const seed of SEEDS) {
    const rng = prng(seed);
    const ops = rng.shuffle(crowdedOps(rng));
    const cut = rng.int(ops.length);
    const start = fold(ops.slice(0, cut));
    assert.deepEqual(applyOps(start, ops.slice(cut)), fold(ops.slice(cut), start), `seed ${seed}`);
  }
  assert.equal(applyOps(null, []), null);
});

test('an op delivered again after its writes dropped out changes nothing', () => {
  for (const seed of SEEDS) {
    const rng = prng(seed);
    const ops = crowdedOps(rng);
    const state = /** @type {State} */ (fold(ops));
    const again = rng.pick(ops);
    assert.deepEqual(applyOp(state, again), state, `seed ${seed}`);
    assert.deepEqual(applyOp(state, { ...again, author: undefined }), state, `seed ${seed}: author-less copy`);
  }
});

test('storage round-trips every state exactly and writes equal states alike', () => {
  for (const seed of SEEDS) {
    const rng = prng(seed);
    const ops = crowdedOps(rng);
    const state = /** @type {State} */ (fold(ops));
    const text = stateToStorage(state);
    assert.deepEqual(stateFromStorage(text), state, `seed ${seed}`);
    assert.equal(stateToStorage(/** @type {State} */ (fold(rng.shuffle(ops)))), text, `seed ${seed}`);
  }
});

test('a record edited 1,000 times is no bigger than one edited 10 times', () => {
  const create = makeOp({ id: opId(1), fields: { date: '2026-11-21', items: ['policy'], notes: '老人身体尚好' } });
  /** @param {number} n */
  const edits = (n) => Array.from({ length: n }, (_, i) =>
    makeOp({ id: opId(2 + i), clock: clockAt(2000 + i), replica: 'b2', fields: { notes: `第${i}次回访：情况稳定` } }));
  const big = /** @type {State} */ (applyOps(null, [create, ...edits(999)]));
  const small = /** @type {State} */ (applyOps(null, [create, ...edits(9)]));
  assert.equal(big.fields.notes.overwritten.length, MAX_OVERWRITTEN);
  assert.deepEqual(big.fields.notes.overwritten.map((w) => w.op), [994, 995, 996, 997].map((i) => opId(2 + i)));
  assert.ok(stateToStorage(big).length <= 1.1 * stateToStorage(small).length);
  assert.ok(JSON.stringify(big).length <= 1.1 * JSON.stringify(small).length);
});

test('reuse of an op id is caught where the state shows the op, not where its write dropped out', () => {
  const both = makeOp({ id: opId(1), fields: { notes: 'n', date: '2026-11-21' } });
  const later = [2, 3, 4, 5, 6].map((n) => makeOp({ id: opId(n), clock: clockAt(1000 + n), fields: { notes: n } }));
  const state = /** @type {State} */ (fold([both, ...later]));
  assert.deepEqual(applyOp(state, both), state);
  assert.deepEqual(applyOp(state, { ...both, fields: { notes: 'other', date: '2026-11-21' } }), state); // undetectable
  const conflict = (/** @type {any} */ err) => err instanceof MergeError && err.code === 'op_conflict';
  assert.throws(() => applyOp(state, { ...both, fields: { notes: 'n', date: '2026-12-01' } }), conflict);
  assert.throws(() => applyOp(state, { ...both, fields: { notes: 'n' } }), conflict);
  assert.throws(() => applyOp(state, { ...both, fields: { date: '2026-11-21', items: [] } }), conflict);
});
