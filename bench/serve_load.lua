-- wrk script for bench/serve_load.sh, as one session (TOKEN).
-- MODE=lookup: the URL given to wrk, as is (exact identity lookups).
-- MODE=upload: each request uploads the same casing scan (SCAN) as a new item of the
-- case at CASE_PATH (/api/cases/ORI/NUMBER), so every request is stored, read and recorded;
-- UPLOAD_QUERY (e.g. ?overlay=false) is appended to the upload's path; SCAN_NAME is the
-- file name sent, and UM_PER_PX, when set, the photograph's scale field.
-- Either way, a count of every non-2xx answer and socket error at the end.

local mode = os.getenv("MODE")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local scan = ""
if mode == "upload" then
   local scan_file = assert(io.open(os.getenv("SCAN"), "rb"))
   scan = scan_file:read("*a")
   scan_file:close()
end
local boundary = "microstamp-bench-boundary"
local path = (os.getenv("CASE_PATH") or "") .. "/exhibits" .. (os.getenv("UPLOAD_QUERY") or "")
local threads = {}
local counter = 0

function setup(thread)
   thread:set("thread_id", #threads + 1)
   table.insert(threads, thread)
end

local function field(name, value)
   return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end

local function upload_request()
   counter = counter + 1
   -- thread_id is set per thread by setup(); items must be unique within the case.
   local item = "w" .. tostring(thread_id) .. "-" .. counter
   local scale = os.getenv("UM_PER_PX") or ""
   local body = field("item_number", item) .. field("collected_at", "2024-05-01T22:10Z") ..
      field("collected_place", "bench") .. (scale ~= "" and field("um_per_px", scale) or "") ..
      "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"scan\"; filename=\"" ..
      (os.getenv("SCAN_NAME") or "casing.x3p") .. "\"\r\n" ..
      "Content-Type: application/octet-stream\r\n\r\n" .. scan .. "\r\n--" .. boundary .. "--\r\n"
   -- wrk.format takes these headers instead of wrk.headers, not beside them.
   return wrk.format("POST", path, {
      ["Authorization"] = wrk.headers["Authorization"],
      ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
   }, body)
end

if mode == "upload" then request = upload_request end

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(mode .. "-summary requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d seconds=%.2f\n",
      summary.requests, errors.status, errors.connect, errors.read, errors.write, errors.timeout,
      summary.duration / 1e6))
end
