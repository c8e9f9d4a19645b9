-- wrk script for `bench/api_bench.py --attestations`: POSTs pre-signed attestations (one
-- canonical document per line of the file given after `--`) to /api/v1/poi/attestation, each
-- document once — a second copy would only measure the 409 duplicate path. wrk thread i of n
-- takes lines i, i+n, i+2n, ...; a thread that runs out stops (and says so: the file was too
-- short for the duration). Status codes are counted per thread and printed by done() as one line
--   ATTESTATIONS {"exhausted":0,"statuses":{"202":N,"409":M,...}}
-- so only 202s are counted as accepted.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  local thread_count = #args >= 2 and tonumber(args[2]) or 1
  docs, position, statuses, exhausted = {}, 0, {}, 0
  local line_number = 0
  for line in io.lines(args[1]) do
    if line_number % thread_count == thread_index then table.insert(docs, line) end
    line_number = line_number + 1
  end
  headers = { ["Content-Type"] = "application/json" }
end

function request()
  position = position + 1
  if position > #docs then
    exhausted = 1
    wrk.thread:stop()
    return wrk.format("GET", "/health")  -- answered 200, which response() does not count
  end
  return wrk.format("POST", "/api/v1/poi/attestation", headers, docs[position])
end

function response(status, headers, body)
  -- 200 is the /health request of a thread that ran out; an attestation never answers 200.
  if status ~= 200 then
    local key = tostring(status)
    statuses[key] = (statuses[key] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total, exhausted_threads = {}, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + count end
    exhausted_threads = exhausted_threads + thread:get("exhausted")
  end
  local parts = {}
  for status, count in pairs(total) do table.insert(parts, string.format('"%s":%d', status, count)) end
  io.write(string.format('ATTESTATIONS {"exhausted":%d,"statuses":{%s}}\n', exhausted_threads, table.concat(parts, ",")))
end
