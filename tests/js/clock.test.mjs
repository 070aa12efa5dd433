import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  ClockError,
  HybridClock,
  compareStamps,
  decodeClock,
  encodeClock,
} from '../../pwa/js/sync/clock.js';

const DAY = 86400000;

/** @param {string} code */
const clockError = (code) => (/** @type {any} */ err) => err instanceof ClockError && err.code === code;

test('encodeClock pads the wall to 15 digits and the counter to 5', () => {
  assert.equal(encodeClock(1763712000000, 3), '001763712000000-00003');
  assert.equal(encodeClock(0, 0), '000000000000000-00000');
  assert.equal(encodeClock(1e15 - 1, 99999), '999999999999999-99999');
});

for (const [wall, counter] of [[-1, 0], [1e15, 0], [1.5, 0], [0, -1], [0, 100000], [0, 0.5], [NaN, 0]]) {
  test(`encodeClock rejects wall=${wall} counter=${counter}`, () => {
    assert.throws(() => encodeClock(wall, counter), RangeError);
  });
}

test('decodeClock inverts encodeClock', () => {
  for (const [wall, counter] of [[0, 0], [1763712000000, 3], [1e15 - 1, 99999]]) {
    assert.deepEqual(decodeClock(encodeClock(wall, counter)), { wall, counter });
  }
});

for (const bad of ['', '1763712000000-3', '001763712000000-0003', '001763712000000_00003', ' 001763712000000-00003',
  '001763712000000-00003\n', '00176371200000a-00003', '٠٠١٧٦٣٧١٢٠٠٠٠٠٠-00003', 42, null]) {
  test(`decodeClock rejects ${JSON.stringify(bad)} and quotes it`, () => {
    assert.throws(() => decodeClock(/** @type {any} */ (bad)), (/** @type {any} */ err) => {
      assert.ok(err instanceof SyntaxError);
      assert.ok(err.message.includes(JSON.stringify(bad)), err.message);
      return true;
    });
  });
}

test('string order of clocks is clock order', () => {
  const pairs = [[0, 1], [1, 0], [9, 99999], [10, 0], [1763712000000, 5], [1763712000001, 0]];
  const encoded = pairs.map(([w, c]) => encodeClock(w, c));
  assert.deepEqual([...encoded].sort(), encoded);
});

test('compareStamps orders by clock, then replica, then op id (op on writes, id on entries)', () => {
  const base = { clock: encodeClock(5, 0), replica: 'b', op: 'm' };
  assert.equal(compareStamps(base, { ...base }), 0);
  assert.equal(compareStamps(base, { ...base, clock: encodeClock(4, 9) }), 1);
  assert.equal(compareStamps(base, { ...base, clock: encodeClock(5, 1) }), -1);
  assert.equal(compareStamps(base, { ...base, clock: encodeClock(4, 0), replica: 'z' }), 1);
  assert.equal(compareStamps(base, { ...base, replica: 'c', op: 'a' }), -1);
  assert.equal(compareStamps(base, { ...base, replica: 'a', op: 'z' }), 1);
  assert.equal(compareStamps(base, { ...base, op: 'n' }), -1);
  assert.equal(compareStamps({ clock: base.clock, replica: 'b', id: 'n' }, base), 1);
  // Plain ASCII order: digits before lowercase letters.
  assert.equal(compareStamps({ ...base, replica: '9' }, { ...base, replica: 'a' }), -1);
});

test('now() follows physical time and resets the counter when the wall moves', () => {
  const clock = new HybridClock('a1');
  assert.equal(clock.now(1000), encodeClock(1000, 0));
  assert.equal(clock.now(2000), encodeClock(2000, 0));
  assert.deepEqual(clock.toJSON(), { replica: 'a1', wall: 2000, counter: 0 });
});

test('now() bumps the counter when physical time stands still or goes back', () => {
  const clock = new HybridClock('a1', { wall: 5000, counter: 7 });
  assert.equal(clock.now(5000), encodeClock(5000, 8));
  assert.equal(clock.now(4000), encodeClock(5000, 9));
  assert.equal(clock.now(5001), encodeClock(5001, 0));
});

test('now() stamps strictly increase', () => {
  const clock = new HybridClock('a1');
  let last = '';
  for (const physical of [10, 10, 9, 11, 11, 3, 12, 100, 50]) {
    const stamp = clock.now(physical);
    assert.ok(stamp > last, `${stamp} > ${last}`);
    last = stamp;
  }
});

// Kulkarni et al. 2014, receive event: each branch of the counter rule.
const observeCases = [
  { name: 'physical time ahead of both: counter 0', start: [100, 4], remote: [90, 9], physical: 200, want: [200, 0] },
  { name: 'remote ahead: remote counter + 1', start: [100, 4], remote: [150, 9], physical: 120, want: [150, 10] },
  { name: 'local ahead: local counter + 1', start: [150, 4], remote: [100, 9], physical: 120, want: [150, 5] },
  { name: 'local and remote tie: max counter + 1', start: [150, 4], remote: [150, 9], physical: 120, want: [150, 10] },
  { name: 'tie with the local counter larger', start: [150, 12], remote: [150, 9], physical: 150, want: [150, 13] },
  { name: 'all three equal', start: [150, 2], remote: [150, 2], physical: 150, want: [150, 3] },
  { name: 'physical equals remote, local behind', start: [100, 7], remote: [150, 1], physical: 150, want: [150, 2] },
];
for (const c of observeCases) {
  test(`observe(): ${c.name}`, () => {
    const clock = new HybridClock('a1', { wall: c.start[0], counter: c.start[1] });
    const result = clock.observe(encodeClock(c.remote[0], c.remote[1]), c.physical);
    assert.equal(result, encodeClock(c.want[0], c.want[1]));
    assert.deepEqual([clock.wall, clock.counter], c.want);
  });
}

test('observe() accepts a remote exactly maxDriftMs ahead and rejects one more, leaving the state alone', () => {
  const clock = new HybridClock('a1', { wall: 10, counter: 3, maxDriftMs: 1000 });
  assert.throws(() => clock.observe(encodeClock(2001, 0), 1000), (/** @type {any} */ err) => {
    assert.ok(clockError('clock_drift')(err));
    assert.match(err.message, /002001-00000/);
    return true;
  });
  assert.deepEqual(clock.toJSON(), { replica: 'a1', wall: 10, counter: 3 });
  assert.equal(clock.observe(encodeClock(2000, 0), 1000), encodeClock(2000, 1));
});

test('the default drift limit is 24 hours', () => {
  const clock = new HybridClock('a1');
  assert.throws(() => clock.observe(encodeClock(DAY + 1, 0), 0), clockError('clock_drift'));
  assert.equal(clock.observe(encodeClock(DAY, 0), 0), encodeClock(DAY, 1));
});

test('now() refuses to reach counter 100000 and keeps its state', () => {
  const clock = new HybridClock('a1', { wall: 500, counter: 99998 });
  assert.equal(clock.now(500), encodeClock(500, 99999));
  assert.throws(() => clock.now(500), clockError('counter_overflow'));
  assert.deepEqual([clock.wall, clock.counter], [500, 99999]);
  assert.equal(clock.now(501), encodeClock(501, 0));
});

test('observe() refuses to reach counter 100000 and keeps its state', () => {
  const clock = new HybridClock('a1', { wall: 500, counter: 3 });
  assert.throws(() => clock.observe(encodeClock(500, 99999), 400), clockError('counter_overflow'));
  assert.deepEqual([clock.wall, clock.counter], [500, 3]);
  const ahead = new HybridClock('a1', { wall: 400, counter: 3 });
  assert.throws(() => ahead.observe(encodeClock(500, 99999), 400), clockError('counter_overflow'));
  assert.deepEqual([ahead.wall, ahead.counter], [400, 3]);
});

test('observe() rejects a malformed remote clock without changing state', () => {
  const clock = new HybridClock('a1', { wall: 7, counter: 1 });
  assert.throws(() => clock.observe('7-1', 10), SyntaxError);
  assert.deepEqual([clock.wall, clock.counter], [7, 1]);
});

test('a received clock orders after the sender’s stamp (happened-before is kept)', () => {
  const alice = new HybridClock('a1');
  const bob = new HybridClock('b2');
  const sent = alice.now(5000);
  bob.observe(sent, 3000); // bob's phone is 2 s behind
  const reply = bob.now(3001);
  assert.ok(reply > sent, `${reply} > ${sent}`);
  alice.observe(reply, 5000);
  assert.ok(alice.now(4000) > reply);
});

test('toJSON / fromJSON round trip', () => {
  const clock = new HybridClock('k3v9x2m1p8q4r7t0', { wall: 1763712000000, counter: 12 });
  const copy = HybridClock.fromJSON(JSON.parse(JSON.stringify(clock)), { maxDriftMs: 5 });
  assert.deepEqual(copy.toJSON(), clock.toJSON());
  assert.equal(copy.replica, 'k3v9x2m1p8q4r7t0');
  assert.throws(() => copy.observe(encodeClock(1763712000006, 0), 1763712000000), clockError('clock_drift'));
});

test('the constructor validates its arguments', () => {
  assert.throws(() => new HybridClock('A1'), TypeError);
  assert.throws(() => new HybridClock(''), TypeError);
  assert.throws(() => new HybridClock('a'.repeat(33)), TypeError);
  assert.throws(() => new HybridClock('a1', { counter: 100000 }), RangeError);
  assert.throws(() => new HybridClock('a1', { wall: -1 }), RangeError);
  assert.throws(() => new HybridClock('a1', { maxDriftMs: -1 }), RangeError);
  assert.throws(() => new HybridClock('a1').now(1.5), RangeError);
});
