// The fan-in load client: N devices push their batches over HTTP at the same time, each device one
// request after the other (as a phone's sync round does). The same client drives Lianhu and PouchDB, so
// neither side gets a faster HTTP stack. Bodies are prepared in advance; the client only sends them.
//
//   node js/push-client.mjs PLAN.json
//   PLAN: {"url": "...", "headers": [{...} per device], "batches": [[device, body string], ...],
//          "kind": "lianhu" | "pouch"}
// Prints one JSON line: elapsed_s, requests, HTTP statuses (every answer, retries included), per-op
// results, latency (a batch's, from its first send to its final answer), client CPU.
import { readFileSync } from 'node:fs';

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const byDevice = plan.headers.map(() => []);
for (const [device, body] of plan.batches) byDevice[device].push(body);

const statuses = {};
const results = {};
const latencies = [];
const count = (table, key, n = 1) => {
  table[key] = (table[key] ?? 0) + n;
};

async function device(index) {
  const headers = { 'Content-Type': 'application/json', ...plan.headers[index] };
  for (const body of byDevice[index]) {
    const started = performance.now();
    let response;
    let text;
    // As the protocol asks (§6): 503 busy and 429 are answered again after Retry-After, the same body.
    for (;;) {
      try {
        response = await fetch(plan.url, { method: 'POST', headers, body });
      } catch (error) {
        count(statuses, `network:${error.cause?.code ?? error.message}`);
        response = null;
        break;
      }
      text = await response.text();
      count(statuses, String(response.status));
      if (response.status !== 503 && response.status !== 429) break;
      const wait = Number(response.headers.get('retry-after') ?? '1');
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait) * 1000));
    }
    if (!response) continue;
    latencies.push(performance.now() - started);
    if (!response.ok) continue;
    const answer = JSON.parse(text);
    const items = plan.kind === 'lianhu' ? answer.results : answer;
    for (const item of items) count(results, plan.kind === 'lianhu' ? item.status : item.ok ? 'ok' : item.error);
  }
}

const cpuBefore = process.cpuUsage();
const started = performance.now();
await Promise.all(plan.headers.map((_, i) => device(i)));
const elapsed = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
latencies.sort((a, b) => a - b);
const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? null;
console.log(
  JSON.stringify({
    elapsed_s: elapsed,
    requests: latencies.length,
    statuses,
    results,
    latency_ms: { p50: at(50), p99: at(99), max: latencies.at(-1) ?? null },
    client_cpu_s: (cpu.user + cpu.system) / 1e6,
  }),
);
