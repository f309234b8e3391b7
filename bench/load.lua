-- wrk script for bench/load.sh: each connection walks the pages a clinician,
-- an intake coordinator and the public finder use, as a signed-in staff member
-- (the session cookie comes from bench/load_session.py). Prints one JSON line.

local paths = {}
local i = 0
local cookie = os.getenv("LOAD_COOKIE")
-- think time between a user's pages, uniform in [THINK/2, 3*THINK/2] ms
-- (LOAD_THINK_MS, default 0: every connection asks again at once)
local think = tonumber(os.getenv("LOAD_THINK_MS") or "0")

init = function(args)
  for p in string.gmatch(args[1], "[^,]+") do
    table.insert(paths, p)
  end
end

delay = function()
  if think <= 0 then
    return 0
  end
  return math.random(math.floor(think / 2), math.floor(think * 3 / 2))
end

request = function()
  i = i + 1
  local path = paths[(i % #paths) + 1]
  return wrk.format("GET", path, { ["Cookie"] = cookie })
end

done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "seconds": %.1f, "rps": %.1f, "p50_ms": %.1f, "p95_ms": %.1f, "p99_ms": %.1f, "socket_errors": %d, "non_2xx": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
