-- wrk: GET /v1/queue/<entry> round robin over the entry ids in ENTRIES
-- (one a line).
local file = os.getenv("ENTRIES")
function init(args)
  ids = {}
  for line in io.lines(file) do ids[#ids + 1] = "/v1/queue/" .. line end
  i = math.random(#ids)
end
function request()
  i = i % #ids + 1
  return wrk.format("GET", ids[i])
end
