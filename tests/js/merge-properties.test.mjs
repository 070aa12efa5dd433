// Seeded property tests of the merge rules: the state depends only on the set of ops, and mergeStates is
// a join (commutative, associative, idempotent). A failure names its seed; rerun with that seed to debug.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { HybridClock } from '../../pwa/js/sync/clock.js';
import { applyOp, mergeStates } from '../../pwa/js/sync/merge.js';
import { fold, makeOp, opId, prng, randomOps } from './helpers.mjs';

/** @typedef {import('../../pwa/js/sync/types.js').Op} Op */
/** @typedef {import('../../pwa/js/sync/types.js').State} State */

const SEEDS = Array.from({ length: 300 }, (_, i) => i + 1);

test('order and duplicate delivery do not change the state (nor its JSON text)', () => {
  for (const seed of SEEDS) {
    const rng = prng(seed);
    const ops = randomOps(rng, 1 + rng.int(14));
    const expected = fold(ops);
    for (let round = 0; round < 5; round++) {
      const delivered = rng.shuffle([...ops, ...ops.filter(() => rng.next() < 0.3)]);
      const state = fold(delivered);
      assert.deepEqual(state, expected, `seed ${seed}`);
      assert.equal(JSON.stringify(state), JSON.stringify(expected), `seed ${seed}`);
    }
  }
});

test('mergeStates is commutative, associative, idempotent and equals the state of the union', () => {
  for (const seed of SEEDS) {
    const rng = prng(seed);
    const ops = randomOps(rng, 1 + rng.int(14));
    const subset = () => fold(rng.shuffle(ops.filter(() => rng.next() < 0.5)));
    const [a, b, c] = [subset(), subset(), subset()];
    const ab = mergeStates(a, b);
    assert.deepEqual(ab, mergeStates(b, a), `seed ${seed}: commutative`);
    assert.deepEqual(mergeStates(ab, c), mergeStates(a, mergeStates(b, c)), `seed ${seed}: associative`);
    assert.deepEqual(mergeStates(a, a), a, `seed ${seed}: idempotent`);
    assert.deepEqual(mergeStates(ab, a), ab, `seed ${seed}: absorbs what it holds`);
    assert.deepEqual(mergeStates(mergeStates(ab, c), fold(ops)), fold(ops), `seed ${seed}: union`);
  }
});

test('folding ops into a state and merging states agree', () => {
  for (const seed of SEEDS) {
    const rng = prng(seed);
    const ops = randomOps(rng, 2 + rng.int(14));
    const cut = 1 + rng.int(ops.length - 1);
    const left = fold(ops.slice(0, cut));
    const right = fold(ops.slice(cut));
    assert.deepEqual(mergeStates(left, right), fold(ops), `seed ${seed}`);
    assert.deepEqual(fold(ops.slice(cut), left), fold(ops), `seed ${seed}`);
  }
});

/**
 * A yjs-style network of replicas that edit one record offline and gossip: every message may be dropped
 * (and sent again later), duplicated or overtaken; the server's copy of an op, which carries the author,
 * may arrive before or after the bare local copy. Sometimes two replicas swap whole states instead. When
 * everything has been delivered, every replica must hold the same state.
 */
test('replicas that drop, duplicate and reorder messages converge', () => {
  for (const seed of SEEDS.slice(0, 100)) {
    const rng = prng(seed);
    const names = ['a1', 'b2', 'c3'];
    const skew = { a1: 0, b2: -4000, c3: 700 }; // phone clocks are wrong
    const member = { a1: 11, b2: 12, c3: 13 };
    const replicas = names.map((name) => ({
      name,
      clock: new HybridClock(name),
      /** @type {State | null} */ state: null,
      maxSeen: '',
    }));
    /** @type {{to: number, op: Op}[]} */
    let network = [];
    /** @type {Op[]} */
    const made = [];
    let time = 1763712000000;
    let nextId = 1;

    /** @param {typeof replicas[number]} r @param {Op} op */
    const receive = (r, op) => {
      r.clock.observe(op.clock, time + skew[r.name]);
      r.state = applyOp(r.state, op);
      if (op.clock > r.maxSeen) r.maxSeen = op.clock;
    };

    for (let step = 0; step < 60; step++) {
      time += rng.int(3); // often the same millisecond: counters matter
      const action = rng.next();
      if (action < 0.4) {
        const r = rng.pick(replicas);
        const template = randomOps(rng, 1, nextId++)[0];
        const op = { ...template, replica: r.name, clock: r.clock.now(time + skew[r.name]) };
        delete op.author;
        assert.ok(op.clock > r.maxSeen, `seed ${seed}: a new stamp follows everything seen`);
        r.maxSeen = op.clock;
        r.state = applyOp(r.state, op);
        made.push(op);
        for (let to = 0; to < replicas.length; to++) {
          if (replicas[to] !== r) network.push({ to, op: rng.next() < 0.5 ? op : { ...op, author: member[r.name] } });
        }
      } else if (action < 0.85 && network.length > 0) {
        const at = rng.int(network.length); // any message may overtake the others
        const message = network[at];
        const fate = rng.next();
        if (fate >= 0.15) receive(replicas[message.to], message.op); // < 0.15: dropped ...
        if (fate >= 0.3) network.splice(at, 1); // ... and dropped or duplicated ones stay to be sent again
      } else {
        const [x, y] = rng.shuffle(replicas);
        const merged = mergeStates(x.state, y.state);
        x.state = merged;
        y.state = structuredClone(merged);
      }
    }

    // Flush: every op reaches everyone, in some order, as the server's copy with its author.
    network = [];
    for (const r of replicas) {
      for (const op of rng.shuffle(made)) receive(r, { ...op, author: member[op.replica] });
    }
    const expected = fold(made.map((op) => ({ ...op, author: member[op.replica] })));
    for (const r of replicas) assert.deepEqual(r.state, expected, `seed ${seed}: replica ${r.name}`);
  }
});

test('a replica stamping ops with its clock makes each op win over what it has seen', () => {
  const clock = new HybridClock('b2');
  const seen = makeOp({ id: opId(1), replica: 'a1', clock: '001763712009000-00004', fields: { notes: 'a' } });
  clock.observe(seen.clock, 1763712000000); // 9 s behind the sender
  const mine = makeOp({ id: opId(2), replica: 'b2', clock: clock.now(1763712000001), fields: { notes: 'b' } });
  assert.equal(fold([mine, seen]).fields.notes.value, 'b');
});
