-- Members sign in themselves (run.py's measure_sign_in). With $LINES: POST a different member's sign-in each time,
-- from a file of lines "PATH BODY" (a live link's API path, then {"member_id", "phone_last4"}). With $SIGN_IN_PATH:
-- GET the sheet that link opens. No account: the link is the credential. Counts the answers' statuses and prints
-- them ("statuses: 201=… 409=…"), so that the run shows what share were first sign-ins.
wrk.headers["Content-Type"] = "application/json"
local lines = {}
local file = os.getenv("LINES")
if file then
  wrk.method = "POST"
  for line in io.lines(file) do
    local path, body = line:match("^(%S+) (.+)$")
    if path then lines[#lines + 1] = {path, body} end
  end
else
  wrk.path = os.getenv("SIGN_IN_PATH")
end

local counter = 0
statuses = {}

request = function()
  if #lines == 0 then return wrk.format("GET", wrk.path) end
  counter = counter + 1
  -- Past the end it starts again: members already signed in, answered 409, which the status mix would show.
  local line = lines[((counter - 1) % #lines) + 1]
  return wrk.format("POST", line[1], nil, line[2])
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local threads = {}
setup = function(thread)
  threads[#threads + 1] = thread
end

done = function(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  local codes = {}
  for status in pairs(total) do codes[#codes + 1] = status end
  table.sort(codes)
  local out = {}
  for _, status in ipairs(codes) do out[#out + 1] = status .. "=" .. total[status] end
  io.write("statuses: " .. table.concat(out, " ") .. "\n")
end
