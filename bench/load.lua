-- wrk script for bench/load.py: each request a random line of the file $PATHS, with
-- `Authorization: Token $TOKEN` when TOKEN is set.
local paths = {}
for line in io.lines(os.getenv("PATHS")) do
  paths[#paths + 1] = line
end
local token = os.getenv("TOKEN") or ""
local headers = {}
if token ~= "" then
  headers["Authorization"] = "Token " .. token
end

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed or os.time())
end

function request()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
