-- wrk script for bench/load.py, with `Authorization: Token $TOKEN` when TOKEN is set:
-- - PATHS=<file>: each request a GET of a random line of the file;
-- - BODIES=<file> and POST_PATH=<path>: each request a POST to POST_PATH of a random line of
--   the file (JSON), its "__CLIENT_ID__" replaced by a new random UUID (a new field upload).
local token = os.getenv("TOKEN") or ""
local headers = {}
if token ~= "" then
  headers["Authorization"] = "Token " .. token
end
local lines = {}
local bodies = os.getenv("BODIES") or ""
local post_path = os.getenv("POST_PATH") or ""
for line in io.lines(bodies ~= "" and bodies or os.getenv("PATHS")) do
  lines[#lines + 1] = line
end
if bodies ~= "" then
  headers["Content-Type"] = "application/json"
end

-- $SEED differs from run to run (bench/load.py): the uploads' UUIDs must never repeat.
math.randomseed(tonumber(os.getenv("SEED") or os.time()))

function setup(thread)
  thread:set("seed", math.random(1, 2147483647))
end

function init(args)
  math.randomseed(seed or os.time())
end

local function uuid4()
  return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

function request()
  local line = lines[math.random(#lines)]
  if bodies ~= "" then
    return wrk.format("POST", post_path, headers, (string.gsub(line, "__CLIENT_ID__", uuid4())))
  end
  return wrk.format("GET", line, headers)
end

-- Each answer wrk counts as an error (4xx, 5xx), on stderr, so that bench/load.py can say
-- what they were. Not for the floor (no token: every answer a 401), whose requests stay
-- without a body to read.
if token ~= "" then
  function response(status, headers, body)
    if status > 399 then
      io.stderr:write(string.format("non-2xx %d %s\n", status, string.sub(body or "", 1, 400)))
    end
  end
end
