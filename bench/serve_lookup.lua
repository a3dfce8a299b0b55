-- wrk script for bench/serve_load.sh: exact identity lookups as one session, and a
-- count of every non-2xx answer and socket error at the end.
local token = os.getenv("TOKEN")
wrk.headers["Authorization"] = "Bearer " .. token

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format("lookup-summary requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d seconds=%.2f\n",
      summary.requests, errors.status, errors.connect, errors.read, errors.write, errors.timeout,
      summary.duration / 1e6))
end
