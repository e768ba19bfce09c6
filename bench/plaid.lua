-- wrk script: POST JSON bodies with Plaid's headers, cycling through a file of bodies.
-- Requests are built once in init(), so the load generator spends its time on the wire,
-- not in Lua. done() prints one line "BENCH_JSON {...}" that bench/run.py parses.
--
-- Environment: BENCH_PATH, BENCH_BODIES (one JSON body a line), BENCH_CLIENT_ID,
-- BENCH_SECRET.

local requests = {}
local next_index = 0

function init(args)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Plaid-Version"] = "2020-09-14",
    ["PLAID-CLIENT-ID"] = os.getenv("BENCH_CLIENT_ID"),
    ["PLAID-SECRET"] = os.getenv("BENCH_SECRET"),
  }
  local path = os.getenv("BENCH_PATH")
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    if #line > 0 then
      requests[#requests + 1] = wrk.format("POST", path, headers, line)
    end
  end
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"non2xx":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
