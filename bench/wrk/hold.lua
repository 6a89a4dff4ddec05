-- wrk script: best-available holds of one seat on a random section of the
-- bench event, each connection signed in as its own customer (tokens.lua,
-- written by bench/http_bench.sh). Counts answers by status.
local tokens = dofile(os.getenv("BOXOFFICE_BENCH_TOKENS"))
local event = os.getenv("BOXOFFICE_BENCH_EVENT")
local sections = tonumber(os.getenv("BOXOFFICE_BENCH_SECTIONS"))
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  n = 0
end

function request()
  n = n + 1
  local token = tokens[((id * 100003 + n) % #tokens) + 1]
  local section = math.random(1, sections)
  return wrk.format("POST", "/v1/events/" .. event .. "/holds",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token,
     ["Connection"] = "keep-alive"},
    '{"section_id":' .. section .. ',"quantity":1}')
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, count in pairs(t:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("status %d: %d\n", status, count))
  end
end
