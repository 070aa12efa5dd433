// The paced load client: simulated devices, each syncing every `interval_s` seconds as the app does (push
// its new ops, then pull from its cursor until `more` is false), for `duration_s`. Open loop: a device's
// syncs are due on a fixed schedule whatever the server does; a sync that starts over a second late is
// counted `late`, a slot that passed while the device's previous sync still ran is counted `missed`. One
// process takes every SHARDS-th device, so several processes share the load and none is the bottleneck.
//
//   node js/devices-client.mjs PLAN.json SHARD SHARDS
//   PLAN: {"urls": [...], "duration_s", "interval_s", "ops_per_push", "notes": [...],
//          "devices": [{"url": index, "token", "replica", "households": [...], "cursor"}]}
// Prints one JSON line: syncs, late, missed, errors, push/pull latencies (ms), ops accepted, client CPU.
import { readFileSync } from 'node:fs';
import { Clock, newVisit } from './ops.mjs';

const [planPath, shardArg, shardsArg] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planPath, 'utf8'));
const shard = Number(shardArg);
const shards = Number(shardsArg);
const mine = plan.devices.filter((_, i) => i % shards === shard);

const out = { syncs: 0, late: 0, missed: 0, errors: {}, push_ms: [], pull_ms: [], accepted: 0, rejected: 0, pulled: 0 };
const fail = (key) => {
  out.errors[key] = (out.errors[key] ?? 0) + 1;
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function call(url, init) {
  const started = performance.now();
  const response = await fetch(url, init);
  const body = await response.json();
  return { status: response.status, body, ms: performance.now() - started };
}

async function syncOnce(device, clock) {
  const base = plan.urls[device.url];
  const auth = { Authorization: `Bearer ${device.token}` };
  const ops = Array.from({ length: plan.ops_per_push }, () => newVisit(device, clock, plan.notes));
  const push = await call(`${base}/api/sync/push`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ ops }),
  });
  out.push_ms.push(push.ms);
  if (push.status !== 200) return fail(`push:${push.status}`);
  for (const result of push.body.results) {
    if (result.status === 'accepted') out.accepted += 1;
    else {
      out.rejected += 1;
      fail(`rejected:${result.code}`);
    }
  }
  for (;;) {
    const after = encodeURIComponent(device.cursor ?? '');
    const pull = await call(`${base}/api/sync/pull?after=${after}&limit=500`, { headers: auth });
    out.pull_ms.push(pull.ms);
    if (pull.status !== 200) return fail(`pull:${pull.status}`);
    device.cursor = pull.body.cursor;
    out.pulled += pull.body.ops.length;
    if (!pull.body.more) break;
  }
  out.syncs += 1;
}

async function deviceLoop(device, start, end) {
  const clock = new Clock();
  const interval = plan.interval_s * 1000;
  let due = start + Math.random() * interval;
  while (due < end) {
    const now = performance.now();
    if (now > due + interval) {
      // The previous sync ran past this slot: a phone would not start a second round meanwhile.
      const skipped = Math.floor((now - due) / interval);
      out.missed += skipped;
      due += skipped * interval;
      continue;
    }
    if (now > due + 1000) out.late += 1;
    await sleep(due - now);
    try {
      await syncOnce(device, clock);
    } catch (error) {
      fail(`network:${error.cause?.code ?? error.message}`);
    }
    due += interval;
  }
}

const cpuBefore = process.cpuUsage();
const start = performance.now();
await Promise.all(mine.map((device) => deviceLoop(device, start, start + plan.duration_s * 1000)));
const cpu = process.cpuUsage(cpuBefore);
out.elapsed_s = (performance.now() - start) / 1000;
out.client_cpu_s = (cpu.user + cpu.system) / 1e6;
console.log(JSON.stringify(out));
