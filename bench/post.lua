-- POST a different booking each time: bodies from the file $BODIES, one JSON object a line.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do
  if #line > 0 then bodies[#bodies + 1] = line end
end
local offset = tonumber(os.getenv("OFFSET") or "0")
local counter = 0
request = function()
  counter = counter + 1
  local body = bodies[((offset + counter) % #bodies) + 1]
  return wrk.format(nil, nil, nil, body)
end
