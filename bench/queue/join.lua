-- wrk: POST /v1/events/<EVENT>/queue, each request with the next customer's
-- token from TOKENS (one a line; wrk thread k of n takes lines k, k+n, ...).
-- Counts 201 (a new, committed place), 200 (the customer's place again)
-- and anything else; once a thread has used its tokens it sends health
-- checks, which are not counted (the script reports joins only). The ids
-- of the first KEEP new entries go to ENTRIES_OUT (appended), one a line.
local event = os.getenv("EVENT")
local file = os.getenv("TOKENS")
local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  tokens = {}
  local n = tonumber(os.getenv("WRK_THREADS") or "2")
  local line_no = 0
  for line in io.lines(file) do
    if line_no % n == index then
      tokens[#tokens + 1] = line
    end
    line_no = line_no + 1
  end
  next_token = 0
  created, again, other, spare = 0, 0, 0, 0
  path = "/v1/events/" .. event .. "/queue"
  keep = math.ceil(tonumber(os.getenv("KEEP") or "0") / n)
  out = keep > 0 and io.open(os.getenv("ENTRIES_OUT"), "a") or nil
end

function request()
  next_token = next_token + 1
  local t = tokens[next_token]
  if t == nil then
    spare = spare + 1
    return wrk.format("GET", "/v1/health")
  end
  return wrk.format("POST", path, {["Authorization"] = "Bearer " .. t, ["Content-Length"] = "0"}, "")
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
    if out and created <= keep then
      out:write(body:match('"id":"([^"]+)"') .. "\n")
      out:flush()
    end
  elseif status == 200 then again = again + 1  -- also the health checks past the tokens
  else other = other + 1 end
end

function done(summary, latency, requests)
  local c, a, o, s = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created"); a = a + t:get("again"); o = o + t:get("other")
    s = s + t:get("spare")
  end
  io.write(string.format("joins: created %d, again %d, other %d, past the tokens %d\n",
                         c, a - s, o, s))
end
