-- wrk script: GET PATH_PREFIX .. <query> with a different query each request (from QUERIES_FILE,
-- one URL-encoded query a line), so query embeddings are computed rather than cached.
local queries = {}
for line in io.lines(os.getenv("QUERIES_FILE")) do queries[#queries + 1] = line end
local prefix = os.getenv("PATH_PREFIX")
local counter = 0

request = function()
  counter = counter + 1
  return wrk.format("GET", prefix .. queries[counter % #queries + 1])
end
