// Erasure in the JS twin (sync/INTERNALS.md, "Erasure"): an erase op is the absorbing element of the merge.
// The shared vectors (sync/vectors/merge.json, storage.json) hold the twins to the same husks; these seeded
// properties check that the state still depends only on the op set and that mergeStates is still a join
// when some ops are erase ops. A failure names its seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { HybridClock, compareStamps } from '../../pwa/js/sync/clock.js';
import { MergeError, applyOp, mergeStates } from '../../pwa/js/sync/merge.js';
import { stateFromStorage, stateToStorage } from '../../pwa/js/sync/storage.js';
import { fold, makeOp, opId, prng, randomOps } from './helpers.mjs';

/** @typedef {import('../../pwa/js/sync/types.js').Op} Op */
/** @typedef {import('../../pwa/js/sync/types.js').State} State */

const SEEDS = Array.from({ length: 300 }, (_, i) => i + 1);

/**
 * randomOps with about one op in five turned into the server's erase op (author 0, or none: the copy a
 * replica holds before the server's reaches it).
 * @param {ReturnType<typeof prng>} rng
 * @param {number} count
 * @returns {Op[]}
 */
function erasableOps(rng, count) {
  return randomOps(rng, count).map((op) => {
    if (rng.next() >= 0.2) return op;
    /** @type {Op} */
    const erase = { id: op.id, record: op.record, type: op.type, household: op.household, clock: op.clock,
      replica: 'server', kind: 'erase' };
    if (rng.next() < 0.5) erase.author = 0;
    return erase;
  });
}

/**
 * What the definition says: the husk of the greatest erase op, or the fold of the others.
 * @param {Op[]} ops
 * @returns {State | null}
 */
function model(ops) {
  const erases = ops.filter((op) => op.kind === 'erase').sort(compareStamps);
  if (erases.length === 0) return fold([...ops].sort(compareStamps));
  const top = erases[erases.length - 1];
  return {
    id: top.record, type: top.type, household: top.household, fields: {}, logs: {}, deleted: null,
    erased: { op: top.id, clock: top.clock, replica: top.replica, author: top.author ?? null },
  };
}

test('with erase ops, any delivery order with duplicates gives the state the definition gives', () => {
  let erased = 0;
  for (const seed of SEEDS) {
    const rng = prng(seed);
    const ops = erasableOps(rng, 1 + rng.int(12));
    const expected = model(ops);
    if (expected?.erased) erased++;
    for (let round = 0; round < 4; round++) {
      const delivered = rng.shuffle([...ops, ...ops.filter(() => rng.next() < 0.3)]);
      const state = fold(delivered);
      assert.deepEqual(state, expected, `seed ${seed}`);
      assert.equal(stateToStorage(/** @type {State} */ (state)), stateToStorage(/** @type {State} */ (expected)), `seed ${seed}`);
    }
  }
  assert.ok(erased > 50 && erased < SEEDS.length - 50, `both kinds of sets come up (${erased} erased)`);
});

test('with erase ops, mergeStates is commutative, associative and idempotent, and equals the union', () => {
  for (const seed of SEEDS) {
    const rng = prng(seed);
    const ops = erasableOps(rng, 1 + rng.int(12));
    const subset = () => fold(rng.shuffle(ops.filter(() => rng.next() < 0.5)));
    const [a, b, c] = [subset(), subset(), subset()];
    const ab = mergeStates(a, b);
    assert.deepEqual(ab, mergeStates(b, a), `seed ${seed}: commutative`);
    assert.deepEqual(mergeStates(ab, c), mergeStates(a, mergeStates(b, c)), `seed ${seed}: associative`);
    assert.deepEqual(mergeStates(a, a), a, `seed ${seed}: idempotent`);
    assert.deepEqual(mergeStates(mergeStates(ab, c), fold(ops)), model(ops), `seed ${seed}: union`);
  }
});

test('a husk absorbs any state and any op, and round-trips through storage', () => {
  for (const seed of SEEDS.slice(0, 100)) {
    const rng = prng(seed);
    const ops = randomOps(rng, 1 + rng.int(10));
    const erase = makeOp({ id: opId(99), kind: 'erase', replica: 'server', clock: ops[rng.int(ops.length)].clock, author: 0 });
    delete erase.fields;
    const husk = /** @type {State} */ (applyOp(null, erase));
    const state = fold(ops);
    assert.deepEqual(mergeStates(state, husk), husk, `seed ${seed}`);
    assert.deepEqual(mergeStates(husk, state), husk, `seed ${seed}`);
    assert.deepEqual(applyOp(state, erase), husk, `seed ${seed}`);
    for (const op of ops) assert.deepEqual(applyOp(husk, op), husk, `seed ${seed}`);
    assert.deepEqual(stateFromStorage(stateToStorage(husk)), husk);
  }
});

test('reusing the erase op id for another op is an op_conflict in either order', () => {
  const erase = { ...makeOp({ id: opId(1), kind: 'erase', replica: 'server', author: 0 }) };
  delete erase.fields;
  const set = makeOp({ id: opId(1), fields: { notes: '老人身体尚好' } });
  for (const order of [[erase, set], [set, erase]]) {
    assert.throws(() => fold(order), (/** @type {any} */ err) => err instanceof MergeError && err.code === 'op_conflict');
  }
});

test('replicas that keep writing to a record the server erased converge on its husk', () => {
  for (const seed of SEEDS.slice(0, 100)) {
    const rng = prng(seed);
    const names = ['a1', 'b2', 'c3'];
    const replicas = names.map((name) => ({ name, clock: new HybridClock(name), /** @type {State | null} */ state: null }));
    /** @type {{to: number, op: Op}[]} */
    const network = [];
    /** @type {Op[]} */
    const made = [];
    let time = 1763712000000;
    let nextId = 1;
    const eraseAt = 10 + rng.int(30);
    for (let step = 0; step < 60; step++) {
      time += rng.int(3);
      if (step === eraseAt) {
        /** @type {Op} */
        const erase = { id: opId(nextId++), record: made[0]?.record ?? makeOp().record, type: 'visit',
          household: 'hh-0f3a9c2e5b7d', clock: new HybridClock('server').now(time), replica: 'server', kind: 'erase', author: 0 };
        made.push(erase);
        for (let to = 0; to < replicas.length; to++) network.push({ to, op: erase });
      } else if (rng.next() < 0.45) {
        const r = rng.pick(replicas);
        const op = { ...randomOps(rng, 1, nextId++)[0], replica: r.name, clock: r.clock.now(time) };
        delete op.author;
        r.state = applyOp(r.state, op);
        made.push(op);
        for (let to = 0; to < replicas.length; to++) if (replicas[to] !== r) network.push({ to, op });
      } else if (network.length > 0) {
        const at = rng.int(network.length);
        const { to, op } = network[at];
        if (rng.next() >= 0.15) replicas[to].state = applyOp(replicas[to].state, op);
        if (rng.next() >= 0.3) network.splice(at, 1);
      } else {
        const [x, y] = rng.shuffle(replicas);
        x.state = mergeStates(x.state, y.state);
        y.state = structuredClone(x.state);
      }
    }
    for (const r of replicas) for (const op of rng.shuffle(made)) r.state = applyOp(r.state, op);
    for (const r of replicas) {
      assert.deepEqual(r.state, model(made), `seed ${seed}: replica ${r.name}`);
      assert.ok(r.state?.erased, `seed ${seed}: the record is erased`);
      assert.deepEqual(r.state?.fields, {}, `seed ${seed}`);
    }
  }
});
