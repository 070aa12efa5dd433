import { test } from 'node:test';
import assert from 'node:assert/strict';

import { MergeError, applyOp, mergeStates } from '../../pwa/js/sync/merge.js';
import { RECORD, clockAt, deepFreeze, fold, makeOp, opId } from './helpers.mjs';

/** @param {string} code */
const mergeError = (code) => (/** @type {any} */ err) => err instanceof MergeError && err.code === code;

/** The register a field ends up with, shorthand for the expected JSON. */
const write = (/** @type {any} */ value, /** @type {number} */ n, /** @type {number} */ wall, replica = 'a1',
  /** @type {number | null} */ author = null) => ({ value, clock: clockAt(wall), replica, op: opId(n), author });

test('the first op creates the record with the §3.3 shape', () => {
  const op = makeOp({ fields: { date: '2026-11-21', items: ['policy'], request: null }, author: 7 });
  assert.deepEqual(applyOp(null, op), {
    id: RECORD,
    type: 'visit',
    household: 'hh-0f3a9c2e5b7d',
    fields: {
      date: { ...write('2026-11-21', 1, 1000, 'a1', 7), overwritten: [] },
      items: { ...write(['policy'], 1, 1000, 'a1', 7), overwritten: [] },
      request: { ...write(null, 1, 1000, 'a1', 7), overwritten: [] },
    },
    logs: {},
    deleted: null,
  });
});

test('set: the later clock wins and the earlier write is kept in overwritten', () => {
  const early = makeOp({ id: opId(1), clock: clockAt(1000), fields: { notes: 'old' } });
  const late = makeOp({ id: opId(2), clock: clockAt(2000), replica: 'b2', fields: { notes: 'new' } });
  const expected = { ...write('new', 2, 2000, 'b2'), overwritten: [write('old', 1, 1000)] };
  assert.deepEqual(fold([early, late]).fields.notes, expected);
  assert.deepEqual(fold([late, early]).fields.notes, expected);
});

test('set: on a clock tie the replica decides, then the op id', () => {
  const onA = makeOp({ id: opId(9), replica: 'a1', fields: { notes: 'a' } });
  const onB = makeOp({ id: opId(1), replica: 'b2', fields: { notes: 'b' } });
  assert.equal(fold([onB, onA]).fields.notes.value, 'b');
  // Same clock and replica: only a misbehaving client does this; the op id still orders it.
  const first = makeOp({ id: opId(3), fields: { notes: 'first' } });
  const second = makeOp({ id: opId(4), fields: { notes: 'second' } });
  assert.equal(fold([second, first]).fields.notes.value, 'second');
});

test('set: overwritten holds the losing writes (up to MAX_OVERWRITTEN) in ascending stamp order', () => {
  const ops = [3, 1, 4, 2].map((n) => makeOp({ id: opId(n), clock: clockAt(1000 + n), fields: { notes: `v${n}` } }));
  const register = fold(ops).fields.notes;
  assert.equal(register.value, 'v4');
  assert.deepEqual(register.overwritten.map((w) => w.value), ['v1', 'v2', 'v3']);
});

test('set: only the named fields are written; null is a value that clears', () => {
  const first = makeOp({ id: opId(1), fields: { date: '2026-11-21', notes: 'n' } });
  const clear = makeOp({ id: opId(2), clock: clockAt(2000), fields: { notes: null } });
  const state = fold([first, clear]);
  assert.equal(state.fields.date.value, '2026-11-21');
  assert.deepEqual(state.fields.date.overwritten, []);
  assert.equal(state.fields.notes.value, null);
  assert.equal(state.fields.notes.overwritten[0].value, 'n');
});

test('append: concurrent entries all survive, ascending by (clock, replica, id)', () => {
  const ops = [
    makeOp({ id: opId(1), kind: 'append', field: 'sessions', value: 'late', clock: clockAt(3000) }),
    makeOp({ id: opId(2), kind: 'append', field: 'sessions', value: 'b', clock: clockAt(2000), replica: 'b2' }),
    makeOp({ id: opId(3), kind: 'append', field: 'sessions', value: 'a', clock: clockAt(2000), replica: 'a1' }),
    makeOp({ id: opId(4), kind: 'append', field: 'followups', value: { ok: true }, author: 9 }),
  ];
  const state = fold(ops);
  assert.deepEqual(state.fields, {});
  assert.deepEqual(state.logs.sessions.map((e) => e.value), ['a', 'b', 'late']);
  assert.deepEqual(state.logs.followups, [
    { id: opId(4), value: { ok: true }, clock: clockAt(1000), replica: 'a1', author: 9 },
  ]);
});

test('delete and restore write the tombstone register; fields and logs survive it', () => {
  const set = makeOp({ id: opId(1), fields: { notes: 'kept' } });
  const log = makeOp({ id: opId(2), kind: 'append', value: 'kept too' });
  const del = makeOp({ id: opId(3), kind: 'delete', clock: clockAt(2000) });
  const deleted = fold([set, log, del]);
  assert.deepEqual(deleted.deleted, { ...write(true, 3, 2000), overwritten: [] });
  assert.equal(deleted.fields.notes.value, 'kept');
  assert.equal(deleted.logs.sessions[0].value, 'kept too');

  const restore = makeOp({ id: opId(4), kind: 'restore', clock: clockAt(3000), replica: 'b2', author: 5 });
  const restored = applyOp(deleted, restore);
  assert.deepEqual(restored.deleted, { ...write(false, 4, 3000, 'b2', 5), overwritten: [write(true, 3, 2000)] });
  assert.deepEqual(restored.fields, deleted.fields);
  // A delete that was concurrent with, but stamped before, the restore loses whatever order they arrive in.
  assert.deepEqual(fold([restore, del, set, log]), restored);
});

test('the same op again returns an equal, new state', () => {
  for (const op of [makeOp(), makeOp({ kind: 'append' }), makeOp({ kind: 'delete' }), makeOp({ kind: 'restore' })]) {
    const once = applyOp(null, op);
    const twice = applyOp(once, structuredClone(op));
    assert.deepEqual(twice, once);
    assert.notEqual(twice, once);
  }
});

test('the same op with its fields in another key order is the same op', () => {
  const op = makeOp({ fields: { notes: 'n', date: '2026-11-21', items: [{ a: 1, b: 2 }] } });
  const reordered = { ...op, fields: { items: [{ b: 2, a: 1 }], date: '2026-11-21', notes: 'n' } };
  assert.deepEqual(fold([op, reordered]), applyOp(null, op));
});

const conflicts = [
  ['another value', { fields: { notes: 'other' } }],
  ['another field set', { fields: { notes: 'n', date: '2026-11-21' } }],
  ['a nested value differing', { fields: { notes: ['n'] } }],
  ['another clock', { clock: clockAt(1001) }],
  ['another replica', { replica: 'b2' }],
  ['another kind', { kind: 'delete' }],
  ['another author', { author: 8 }],
];
for (const [name, overrides] of conflicts) {
  test(`op_conflict: same op id with ${name}`, () => {
    const state = applyOp(null, makeOp({ fields: { notes: 'n' }, author: 7 }));
    assert.throws(() => applyOp(state, makeOp({ fields: { notes: 'n' }, author: 7, ...overrides })),
      mergeError('op_conflict'));
  });
}

test('op_conflict: an append id reused with another value or log, or by a set', () => {
  const state = applyOp(null, makeOp({ kind: 'append', field: 'sessions', value: 'x' }));
  assert.throws(() => applyOp(state, makeOp({ kind: 'append', field: 'sessions', value: 'y' })), mergeError('op_conflict'));
  assert.throws(() => applyOp(state, makeOp({ kind: 'append', field: 'followups', value: 'x' })), mergeError('op_conflict'));
  assert.throws(() => applyOp(state, makeOp({ kind: 'set' })), mergeError('op_conflict'));
});

test('op_conflict: a delete id reused as a restore', () => {
  const state = applyOp(null, makeOp({ kind: 'delete' }));
  assert.throws(() => applyOp(state, makeOp({ kind: 'restore' })), mergeError('op_conflict'));
});

test('an op seen without its author takes the author when the server copy arrives, in either order', () => {
  const local = makeOp({ fields: { notes: 'n' } });
  const pulled = { ...local, author: 7 };
  const expected = applyOp(null, pulled);
  assert.equal(expected.fields.notes.author, 7);
  assert.deepEqual(fold([local, pulled]), expected);
  assert.deepEqual(fold([pulled, local]), expected);
  for (const kind of /** @type {const} */ (['append', 'delete'])) {
    const own = makeOp({ kind });
    assert.deepEqual(fold([own, { ...own, author: 3 }]), applyOp(null, { ...own, author: 3 }));
  }
});

for (const [key, value] of [['record', '019aa5e2-3c40-7f00-9a11-000000000000'], ['type', 'mediation'],
  ['household', 'hh-other']]) {
  test(`record_mismatch: an op with another ${key}`, () => {
    const state = applyOp(null, makeOp());
    assert.throws(() => applyOp(state, makeOp({ id: opId(2), [key]: value })), (/** @type {any} */ err) => {
      assert.ok(mergeError('record_mismatch')(err));
      assert.ok(err.message.includes(JSON.stringify(value)), err.message);
      return true;
    });
  });
}

test('applyOp never mutates its inputs, and its result shares nothing with them', () => {
  const op = deepFreeze(makeOp({ fields: { items: ['policy'], notes: { nested: [1] } } }));
  const state = deepFreeze(applyOp(null, makeOp({ id: opId(2), clock: clockAt(2000), fields: { items: [] } })));
  const snapshot = structuredClone(state);
  const next = applyOp(state, op);
  assert.deepEqual(state, snapshot);
  next.fields.notes.value.nested.push(2);
  next.fields.items.overwritten[0].value.push('x');
  assert.deepEqual(op.fields, { items: ['policy'], notes: { nested: [1] } });
  // The frozen op and state would have thrown above if they were shared.
  assert.ok(!Object.isFrozen(next.fields.items));
});

test('a state survives a JSON round trip and keeps merging the same way', () => {
  const state = fold([makeOp({ fields: { notes: '老人身体尚好' } }), makeOp({ id: opId(2), kind: 'append', value: null })]);
  const parsed = JSON.parse(JSON.stringify(state));
  assert.deepEqual(parsed, state);
  const op = makeOp({ id: opId(3), clock: clockAt(5000), fields: { notes: 'x' } });
  assert.deepEqual(applyOp(parsed, op), applyOp(state, op));
});

test('a field may be called "constructor"', () => {
  const state = fold([
    makeOp({ id: opId(1), fields: { constructor: 1 } }),
    makeOp({ id: opId(2), clock: clockAt(2000), fields: { constructor: 2 } }),
    makeOp({ id: opId(3), kind: 'append', field: 'constructor', value: 3 }),
  ]);
  assert.equal(state.fields.constructor.value, 2);
  assert.equal(state.fields.constructor.overwritten[0].value, 1);
  assert.equal(state.logs.constructor[0].value, 3);
});

const malformed = [
  ['not an object', null],
  ['a missing id', makeOp({ id: undefined })],
  ['an unknown kind', makeOp({ kind: /** @type {any} */ ('patch') })],
  ['a malformed clock', makeOp({ clock: '1000-0' })],
  ['a set without fields', makeOp({ fields: {} })],
  ['a set with fields as a list', makeOp({ fields: /** @type {any} */ (['notes']) })],
  ['an upper-case field name', makeOp({ fields: { Notes: 1 } })],
  ['a field named __proto__', makeOp({ fields: JSON.parse('{"__proto__": 1}') })],
  ['a field name of 65 characters', makeOp({ fields: { ['n'.repeat(65)]: 1 } })],
  ['an append without a field', { ...makeOp({ kind: 'append' }), field: undefined }],
  ['an append without a value', { ...makeOp({ kind: 'append' }), value: undefined }],
  ['an author that is not an integer', makeOp({ author: /** @type {any} */ ('7') })],
];
for (const [name, op] of malformed) {
  test(`applyOp rejects an op with ${name} as a TypeError`, () => {
    assert.throws(() => applyOp(null, /** @type {any} */ (op)), TypeError);
  });
}

test('mergeStates: the union of both op sets', () => {
  const x = makeOp({ id: opId(1), fields: { notes: 'x' } });
  const y = makeOp({ id: opId(2), clock: clockAt(2000), fields: { notes: 'y', date: '2026-11-21' } });
  const z = makeOp({ id: opId(3), kind: 'append', value: 'z' });
  const a = fold([x, y]);
  const b = fold([y, z]);
  assert.deepEqual(mergeStates(a, b), fold([x, y, z]));
  assert.deepEqual(mergeStates(b, a), fold([x, y, z]));
});

test('mergeStates: null is the empty state', () => {
  const a = applyOp(null, makeOp());
  assert.equal(mergeStates(null, null), null);
  assert.deepEqual(mergeStates(a, null), a);
  assert.deepEqual(mergeStates(null, a), a);
  assert.notEqual(mergeStates(null, a), a);
});

test('mergeStates: record_mismatch, op_conflict and author filling, as for single ops', () => {
  const a = applyOp(null, makeOp());
  assert.throws(() => mergeStates(a, applyOp(null, makeOp({ household: 'hh-x' }))), mergeError('record_mismatch'));
  assert.throws(() => mergeStates(a, applyOp(null, makeOp({ fields: { notes: 'other' } }))), mergeError('op_conflict'));
  const withAuthor = applyOp(null, makeOp({ author: 4 }));
  assert.deepEqual(mergeStates(a, withAuthor), withAuthor);
  assert.deepEqual(mergeStates(withAuthor, a), withAuthor);
});

test('mergeStates never mutates its inputs', () => {
  const a = deepFreeze(fold([makeOp({ id: opId(1) }), makeOp({ id: opId(2), kind: 'append' })]));
  const b = deepFreeze(fold([makeOp({ id: opId(3), clock: clockAt(9000), fields: { notes: 'b' }, author: 1 })]));
  const [sa, sb] = [structuredClone(a), structuredClone(b)];
  const merged = mergeStates(a, b);
  assert.deepEqual([a, b], [sa, sb]);
  merged.fields.notes.overwritten.push(/** @type {any} */ ({}));
  merged.logs.sessions.push(/** @type {any} */ ({}));
});
