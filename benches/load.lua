-- wrk script for `cuishou serve`: POST /v1/classify with a rotating set of realistic messages.
-- Optional rate limit: RATE (requests/s, for the one wrk thread) paces sends to a fixed schedule,
-- send n at start + n/RATE, using wrk's delay() hook and a wall clock through LuaJIT's ffi
-- (wrk has no built-in rate and Debian has no wrk2). Latency is measured from each send, so a
-- request held back by a slow one is not counted as late (no coordinated-omission correction);
-- the RESULT line says how many sends were over 1 ms behind their slot, so such runs show.
--
-- wrk's timers have whole-millisecond resolution and it truncates the delay this script returns.
-- The delay is rounded up, never down: a request goes out at the first timer tick at or after its
-- slot, never before it. (Truncating sent every request whose slot was under a millisecond away at
-- once, so a paced run kept up to a millisecond's worth of requests in flight, most connections
-- busy, and was closer to a closed loop than to the rate asked for.) The ticks also mean requests
-- leave in batches of about RATE/1000 per millisecond: burstier than independent clients.

local messages = {
  "您在闪贷宝的借款已逾期3天,应还金额1,280.00元,请及时还款。",
  "你再不还钱,明天就上*门找你,后果自负",
  "再不還錢就爆你通 讯 录,讓你全家都知道",
  "您好,您的账单将于本月15日到期,如有困难可申请分期。",
  "今天18点前不还款,我们将联系你的单位和紧急联系人。",
  "周末一起吃饭吗?我订好位置了。",
  "你好,我是张三的同事,他欠了我们平台5000块钱一直不还,麻烦你转告他。",
  "最后通知:逾期不还将上报征信,并采取法律手段。",
}

local requests = {}
local counter = 0
local rate = nil
local issued = 0
local t0 = nil
-- Sends more than 1 ms behind their slot (the server or wrk fell behind the schedule).
behind = 0
local threads = {}

local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } cuishou_timespec;
  int clock_gettime(int clk_id, cuishou_timespec *tp);
]]
local ts = ffi.new("cuishou_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

function init(args)
  for i, m in ipairs(messages) do
    local body = string.format('{"id":"load-%d","text":"%s"}', i, m)
    requests[i] = wrk.format("POST", "/v1/classify", { ["Content-Type"] = "application/json" }, body)
  end
  rate = tonumber(os.getenv("RATE") or "")
  if rate and rate <= 0 then rate = nil end
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

if os.getenv("RATE") and os.getenv("RATE") ~= "" then
  function delay()
    local now = now_ms()
    if not t0 then t0 = now end
    issued = issued + 1
    local slot = t0 + issued * 1000 / rate
    if slot > now then return math.ceil(slot - now) end
    if now - slot > 1 then behind = behind + 1 end
    return 0
  end
end

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  local late = 0
  for _, t in ipairs(threads) do late = late + (t:get("behind") or 0) end
  io.write(string.format("RESULT requests=%d seconds=%.1f rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%d behind_1ms=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors, late))
end
