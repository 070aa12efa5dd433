import { test } from 'node:test';
import assert from 'node:assert/strict';

import { compareStamps } from '../../pwa/js/sync/clock.js';
import { MergeError } from '../../pwa/js/sync/merge.js';
import { stateOps } from '../../pwa/js/sync/state-ops.js';
import { clockAt, fold, makeOp, opId, prng, randomOps } from './helpers.mjs';

test('stateOps gives back the ops the state shows, and folding them gives the state again', () => {
  let overflowed = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const rng = prng(seed);
    const ops = randomOps(rng, 1 + rng.int(20));
    const state = fold(ops);
    const back = stateOps(state);
    assert.deepEqual(fold(rng.shuffle(back)), state, `seed ${seed}`);
    const writes = ops.reduce((n, op) => n + Object.keys(op.fields ?? {}).length + (op.kind === 'delete' || op.kind === 'restore' ? 1 : 0), 0);
    const kept = back.reduce((n, op) => n + Object.keys(op.fields ?? {}).length + (op.kind === 'delete' || op.kind === 'restore' ? 1 : 0), 0);
    if (kept < writes) {
      overflowed++;
      continue; // some writes dropped out: their ops come back partly, or not at all
    }
    assert.deepEqual(back, [...ops].sort(compareStamps), `seed ${seed}`);
  }
  assert.ok(overflowed > 20, `only ${overflowed} seeds overflowed a register`);
});

test('a set op that dropped out of one register comes back with only the field it still shows', () => {
  const both = makeOp({ id: opId(1), fields: { notes: 'a', date: '2026-11-21' } });
  const later = [2, 3, 4, 5, 6].map((n) => makeOp({ id: opId(n), clock: clockAt(1000 + n), fields: { notes: `v${n}` } }));
  const back = stateOps(fold([both, ...later]));
  assert.deepEqual(back[0], { ...both, fields: { date: '2026-11-21' } });
  assert.equal(back.length, 6);
});

test('stateOps returns copies: changing them leaves the state alone', () => {
  const state = fold([makeOp({ fields: { items: ['policy'] } })]);
  const [op] = stateOps(state);
  op.fields.items.push('care');
  assert.deepEqual(state.fields.items.value, ['policy']);
});

/** @param {(state: any) => void} corrupt */
const corrupted = (corrupt) => {
  const state = structuredClone(fold([
    makeOp({ id: opId(1), fields: { notes: 'a', date: '2026-11-21' } }),
    makeOp({ id: opId(2), kind: 'append', value: 'x' }),
    makeOp({ id: opId(3), kind: 'delete', clock: clockAt(2000) }),
  ]));
  corrupt(state);
  return state;
};

for (const [name, corrupt] of /** @type {[string, (state: any) => void][]} */ ([
  ['one set op with two clocks', (s) => { s.fields.date.clock = clockAt(999); }],
  ['one set op with two authors', (s) => { s.fields.date.author = 5; }],
  ['one op id as a field write and a log entry', (s) => { s.logs.sessions[0].id = opId(1); }],
  ['one op id as a delete and a log entry', (s) => { s.logs.sessions[0].id = opId(3); }],
  ['one op id twice in one register', (s) => { s.fields.notes.overwritten.push({ ...s.fields.notes, overwritten: undefined }); }],
])) {
  test(`stateOps refuses a state holding ${name}`, () => {
    assert.throws(() => stateOps(corrupted(corrupt)), (/** @type {any} */ err) => err instanceof MergeError
      && err.code === 'op_conflict');
  });
}
