// Visit ops as the PWA makes them (pwa/js/outbox.js createVisit), for the load clients: a UUIDv7, a hybrid
// logical clock per device (docs/sync-protocol.md §3.1) and a Chinese note from the plan's pool.
import { randomBytes } from 'node:crypto';

export function uuid7(now = Date.now()) {
  const b = randomBytes(16);
  let ts = now;
  for (let i = 5; i >= 0; i--) {
    b[i] = ts % 256;
    ts = Math.floor(ts / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class Clock {
  constructor() {
    this.wall = 0;
    this.counter = 0;
  }

  now(physical = Date.now()) {
    if (physical > this.wall) {
      this.wall = physical;
      this.counter = 0;
    } else {
      this.counter += 1;
    }
    return `${String(this.wall).padStart(15, '0')}-${String(this.counter).padStart(5, '0')}`;
  }
}

const ITEMS = ['policy', 'safety', 'care', 'opinions'];

export function newVisit(device, clock, notes) {
  const now = Date.now();
  const pick = (list) => list[Math.floor(Math.random() * list.length)];
  return {
    id: uuid7(now),
    record: uuid7(now),
    type: 'visit',
    household: pick(device.households),
    clock: clock.now(now),
    replica: device.replica,
    kind: 'set',
    fields: {
      date: new Date(now).toISOString().slice(0, 10),
      items: ITEMS.filter(() => Math.random() < 0.5),
      notes: pick(notes),
      request: null,
    },
  };
}
