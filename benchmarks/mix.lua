-- wrk script: the request mix of the throughput benchmark. Each request is
-- either runs/log-batch (10 metrics into one of the given runs) or
-- runs/search of the experiment, alternating.
-- Usage: wrk ... -s mix.lua URL -- EXPERIMENT_ID RUN_ID[,RUN_ID...]
-- BENCH_AUTHORIZATION, when set, is sent as the Authorization header.
-- done() prints one JSON line: requests, seconds, errors, p50/p99 (ms).
local counter, runs, experiment = 0, {}, nil

function init(args)
  experiment = args[1]
  for id in string.gmatch(args[2], "[^,]+") do runs[#runs + 1] = id end
  wrk.headers["Content-Type"] = "application/json"
  local auth = os.getenv("BENCH_AUTHORIZATION")
  if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
end

function request()
  counter = counter + 1
  if counter % 2 == 0 then
    return wrk.format("POST", "/api/2.0/mlflow/runs/search",
      nil, string.format('{"experiment_ids":["%s"],"max_results":10}', experiment))
  end
  local run = runs[math.floor(counter / 2) % #runs + 1]
  local metrics = {}
  for i = 0, 9 do
    metrics[#metrics + 1] = string.format('{"key":"m%d","value":%d,"step":%d,"timestamp":%d}',
      i, counter, counter, os.time() * 1000)
  end
  return wrk.format("POST", "/api/2.0/mlflow/runs/log-batch", nil,
    string.format('{"run_id":"%s","metrics":[%s]}', run, table.concat(metrics, ",")))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"errors":%d,"p50_ms":%.1f,"p99_ms":%.1f}\n',
    summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
