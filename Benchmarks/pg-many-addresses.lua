-- wrk script (a diagnostic): the same URL (PATH) from 4,016 client addresses, named in
-- X-Forwarded-For (the server must trust 127.0.0.1 as a proxy), so the API rate limiter takes
-- from thousands of buckets instead of one; tells a hot bucket row from the cost of a take.
local counter = 0
local path = os.getenv("PATH_UNDER_TEST")

request = function()
  counter = counter + 1
  return wrk.format("GET", path, { ["X-Forwarded-For"] = "10.0." .. (counter % 16) .. "." .. (counter % 251) })
end
