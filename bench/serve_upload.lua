-- wrk script for bench/serve_load.sh: each request uploads the same casing scan as a
-- new item (multipart), so every request is stored, read and recorded.
-- Environment: SCAN (file), TOKEN, CASE_PATH (/api/cases/ORI/NUMBER).

local scan_file = assert(io.open(os.getenv("SCAN"), "rb"))
local scan = scan_file:read("*a")
scan_file:close()
local boundary = "microstamp-bench-boundary"
local token = os.getenv("TOKEN")
local path = os.getenv("CASE_PATH") .. "/exhibits"
local threads = {}
local counter = 0

function setup(thread)
   thread:set("thread_id", #threads + 1)
   table.insert(threads, thread)
end

local function field(name, value)
   return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end

function request()
   counter = counter + 1
   -- thread_id is set per thread by setup(); items must be unique within the case.
   local item = "w" .. tostring(thread_id) .. "-" .. counter
   local body = field("item_number", item) .. field("collected_at", "2024-05-01T22:10Z") ..
      field("collected_place", "bench") ..
      "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"scan\"; filename=\"casing.x3p\"\r\n" ..
      "Content-Type: application/octet-stream\r\n\r\n" .. scan .. "\r\n--" .. boundary .. "--\r\n"
   return wrk.format("POST", path, {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
   }, body)
end

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format("upload-summary requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d seconds=%.2f\n",
      summary.requests, errors.status, errors.connect, errors.read, errors.write, errors.timeout,
      summary.duration / 1e6))
end
