-- wrk script: saturating pushes of 5 new visits each from many devices (docs/sync-protocol.md §4).
--   wrk -t1 -c50 -d20s -s bench/wrk/push.lua http://localhost:PORT -- DEVICES_FILE OPS_PER_PUSH
-- DEVICES_FILE: one device a line, "token replica household,household,…". Each request is the next
-- device's push (round robin), with fresh UUIDv7 ids and a per-device hybrid clock. done() prints JSON.

local devices, notes, next_device, ops_per_push = {}, {}, 0, 5
local threads = {}
-- Per-thread counts (globals of each thread's Lua state, read in done() through thread:get).
ok, rejected, other = 0, 0, 0

function setup(thread)
  threads[#threads + 1] = thread
end

notes = {
  "上门走访，老人身体尚好，独自在家，子女每周回来一次。反映楼道照明灯损坏多日，夜间出行不便。已登记，将及时向社区反映。",
  "入户了解情况，家中老人患有高血压，按时服药，血压控制平稳。宣传了防范电信诈骗知识，发放了宣传资料。约定两周后再次上门。",
  "节前走访慰问，住户对社区垃圾分类工作表示支持，建议增加分类指导。提醒冬季取暖注意用电安全，不要私拉电线。",
}

local function split(text, sep)
  local out = {}
  for piece in string.gmatch(text, "([^" .. sep .. "]+)") do out[#out + 1] = piece end
  return out
end

function init(args)
  ops_per_push = tonumber(args[2] or "5")
  for line in io.lines(args[1]) do
    local fields = split(line, " ")
    devices[#devices + 1] = { token = fields[1], replica = fields[2], households = split(fields[3], ","),
                              wall = 0, counter = 0 }
  end
  math.randomseed(os.time() + #devices + math.floor(os.clock() * 1e6))
  next_device = math.random(#devices) - 1
end

local hex = "0123456789abcdef"
local function hexdigits(n)
  local out = {}
  for i = 1, n do
    local k = math.random(16)
    out[i] = string.sub(hex, k, k)
  end
  return table.concat(out)
end

local function uuid7(ms)
  local ts = string.format("%012x", ms)
  local k = math.random(4)
  local v = string.sub("89ab", k, k)  -- the RFC 9562 variant
  return string.sub(ts, 1, 8) .. "-" .. string.sub(ts, 9, 12) .. "-7" .. hexdigits(3) .. "-" .. v .. hexdigits(3)
    .. "-" .. hexdigits(12)
end

local function clock(device, ms)
  if ms > device.wall then
    device.wall, device.counter = ms, 0
  else
    device.counter = device.counter + 1
  end
  return string.format("%015d-%05d", device.wall, device.counter)
end

local sequence = 0
function request()
  next_device = next_device % #devices + 1
  local device = devices[next_device]
  -- wrk's Lua has no millisecond clock: seconds plus a running count stays within a second of the truth.
  sequence = (sequence + 1) % 1000
  local ms = os.time() * 1000 + sequence
  local ops = {}
  for i = 1, ops_per_push do
    local household = device.households[math.random(#device.households)]
    ops[i] = string.format(
      '{"id":"%s","record":"%s","type":"visit","household":"%s","clock":"%s","replica":"%s","kind":"set",'
        .. '"fields":{"date":"%s","items":["policy","safety"],"notes":"%s","request":null}}',
      uuid7(ms), uuid7(ms), household, clock(device, ms), device.replica, os.date("!%Y-%m-%d"),
      notes[math.random(#notes)])
  end
  local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. device.token }
  return wrk.format("POST", "/api/sync/push", headers, '{"ops":[' .. table.concat(ops, ",") .. "]}")
end

function response(status, headers, body)
  if status ~= 200 then
    other = other + 1
  elseif string.find(body, '"rejected"', 1, true) then
    rejected = rejected + 1
  else
    ok = ok + 1
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local n_ok, n_rejected, n_other = 0, 0, 0
  for _, thread in ipairs(threads) do
    n_ok, n_rejected, n_other = n_ok + thread:get("ok"), n_rejected + thread:get("rejected"), n_other + thread:get("other")
  end
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"ok":%d,"rejected":%d,"other":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_ms":{"p50":%.3f,"p90":%.3f,"p99":%.3f,"max":%.3f}}\n',
    summary.requests, summary.duration, n_ok, n_rejected, n_other, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
