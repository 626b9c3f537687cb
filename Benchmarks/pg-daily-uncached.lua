-- wrk script: GET /api/daily_papers for the captured days in turn (DAYS_FILE, one YYYY-MM-DD a
-- line), each URL made distinct by a counter (`n`, which the API ignores), so the response
-- cache, keyed on the URL, misses every time and every request reads the day from the store.
local days = {}
for line in io.lines(os.getenv("DAYS_FILE")) do days[#days + 1] = line end
local counter = 0
local threads_made = 0
thread_id = 0  -- a global: thread:set gives each thread's copy its number (a local would hide it)

setup = function(thread)
  thread:set("thread_id", threads_made)
  threads_made = threads_made + 1
end

request = function()
  counter = counter + 1
  local day = days[(counter * 7 + thread_id * 101) % #days + 1]
  return wrk.format("GET", "/api/daily_papers?date=" .. day .. "&n=" .. thread_id .. "-" .. counter)
end
