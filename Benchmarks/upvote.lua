-- wrk script: authenticated upvotes, alternating POST (vote) and DELETE (withdraw) over the
-- demo papers, so every request is a real write. Needs TOKEN and IDS_FILE in the environment.
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
local headers = { ["Authorization"] = "Bearer " .. os.getenv("TOKEN") }
local counter = 0

request = function()
  counter = counter + 1
  local method = (counter % 2 == 1) and "POST" or "DELETE"
  local id = ids[math.floor(counter / 2) % #ids + 1]
  return wrk.format(method, "/api/papers/" .. id .. "/upvote", headers)
end
