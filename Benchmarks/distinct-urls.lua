-- wrk script: every request a URL never asked before, so a response cache keyed on URLs sees
-- only misses (PAPER: an arXiv id the server has). Every other request carries a 30 KB query string (over the cache's key limit).
local counter = 0
local thread_id = 0
local padding = string.rep("q", 30000)
local paper = os.getenv("PAPER")

setup = function(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

request = function()
  counter = counter + 1
  local n = thread_id .. "-" .. counter
  if counter % 2 == 0 then
    return wrk.format("GET", "/api/papers/" .. paper .. "?n=" .. n .. "&pad=" .. padding)
  end
  return wrk.format("GET", "/api/papers/" .. paper .. "?n=" .. n)
end
