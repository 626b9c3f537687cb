-- wrk script for the failover run: every request a new upvote (POST only), a (reader, paper)
-- pair never asked before, so each acknowledged write is one row the upvotes table must hold.
-- Thread t votes as reader t, then reader t + T, t + 2T, … (T threads), each time going through
-- every paper (IDS_FILE, one arXiv id a line); TOKENS_FILE holds reader K's token on line K+1,
-- THREADS is wrk's -t. Past the last reader it starts over (the check reports any repeats).
-- A 200 names its paper in the body, and a paper is asked again only a whole round of papers
-- later, so the response tells the pair: each thread appends "K PAPER" for every 200 to
-- ACKED_DIR/acked-t.txt, and done() prints the statuses seen.
local ids, tokens = {}, {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
local threads = {}
local thread_count = 0
thread_id = 0     -- globals: thread:set and thread:get reach only globals
statuses = {}
local thread_total = tonumber(os.getenv("THREADS"))
local counter = 0
local reader_of = {}   -- paper -> reader of its latest request in this thread
local acked_file

setup = function(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
  threads[#threads + 1] = thread
end

init = function(args)
  acked_file = io.open(os.getenv("ACKED_DIR") .. "/acked-" .. thread_id .. ".txt", "w")
end

request = function()
  local index = counter % #ids
  local round = math.floor(counter / #ids)
  counter = counter + 1
  local reader = (thread_id + round * thread_total) % #tokens
  local paper = ids[index + 1]
  reader_of[paper] = reader
  return wrk.format("POST", "/api/papers/" .. paper .. "/upvote",
    { ["Authorization"] = "Bearer " .. tokens[reader + 1] })
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 200 then
    local paper = string.match(body, '"id"%s*:%s*"([^"]+)"')
    acked_file:write(reader_of[paper] .. " " .. paper .. "\n")
    acked_file:flush()
  end
end

done = function(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for status, n in pairs(s) do total[status] = (total[status] or 0) + n end
  end
  for status, n in pairs(total) do io.write(string.format("status %d: %d\n", status, n)) end
end
