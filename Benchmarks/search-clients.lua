-- wrk script: clients searching as real ones do.
--   QUERIES_FILE  one URL-encoded query a line
--   PATH_PREFIX   e.g. /api/papers/search?q=
--   ZIPF_S        0 (default): every request a different query (the file's queries in turn,
--                 each pass adding its number, so none is ever cached; assumes wrk -t2);
--                 s > 0: queries drawn Zipf-like, rank r with weight 1 / r^s, the way real
--                 query logs repeat
--   RETRY_AFTER   1 (default): after a 503 the connection waits the Retry-After the server
--                 gave (1 s) before its next request, as polite clients do; 0: at once
-- Prints the answered (200) and refused (503) counts and rates when done.
local queries = {}
for line in io.lines(os.getenv("QUERIES_FILE")) do queries[#queries + 1] = line end
local prefix = os.getenv("PATH_PREFIX")
local s = tonumber(os.getenv("ZIPF_S") or "0")
local honour = (os.getenv("RETRY_AFTER") or "1") ~= "0"

local threads = {}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Globals, so that done() can read each thread's counts (thread:get).
answered, refused, other = 0, 0, 0
local cumulative = {}
local counter, backoff = 0, false
function init(args)
  math.randomseed(15485863 * (id + 1))
  local total = 0
  for rank = 1, #queries do
    total = total + (s > 0 and 1 / rank ^ s or 1)
    cumulative[rank] = total
  end
  for rank = 1, #queries do cumulative[rank] = cumulative[rank] / total end
end

local function zipf_pick()
  local u = math.random()
  local low, high = 1, #queries
  while low < high do
    local middle = math.floor((low + high) / 2)
    if cumulative[middle] < u then low = middle + 1 else high = middle end
  end
  return queries[low]
end

function request()
  counter = counter + 1
  local query
  if s > 0 then
    query = zipf_pick()
  else
    -- Each pass over the file adds its number, so no query repeats and none is cached.
    local n = counter * 2 + id
    query = queries[n % #queries + 1] .. "+" .. math.floor(n / #queries)
  end
  return wrk.format("GET", prefix .. query)
end

function response(status, headers, body)
  if status == 200 then
    answered = answered + 1
  elseif status == 503 then
    refused = refused + 1
    backoff = honour
  else
    other = other + 1
  end
end

function delay()
  if backoff then
    backoff = false
    return 1000
  end
  return 0
end

function done(summary, latency, requests)
  local a, r, o = 0, 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("answered")
    r = r + thread:get("refused")
    o = o + thread:get("other")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("answered=%d answered_per_s=%.1f refused=%d refused_per_s=%.1f other=%d\n",
    a, a / seconds, r, r / seconds, o))
end
