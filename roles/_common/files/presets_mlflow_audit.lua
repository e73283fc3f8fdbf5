-- presets.mlflow's audit trail, in nginx (lua-nginx-module): one JSON line per
-- change (POST, PUT, PATCH, DELETE) and per failed login, which the site's
-- access_log "mlflow_audit" writes ($mlflow_audit: the line, when there is one):
--   time, user (the login's user name), address (the client's: behind a
--   balancer, from its X-Forwarded-For), method, path, status, and the objects
--   the request names (experiment, run, model, version... IDs and names, from
--   its query string or its JSON body).
-- Never a password, a token, a header or a body: only the user name and the
-- values of the keys listed below.
local M = {}

local json = require("cjson.safe")
local request = require("presets_mlflow_request")

local changes = {POST = true, PUT = true, PATCH = true, DELETE = true}
-- The keys of MLflow's requests that name an object.
local keys = {
  "experiment_id", "experiment_ids", "run_id", "run_uuid", "name", "new_name", "version", "alias",
  "model_id", "source_run_id", "trace_id", "request_id", "webhook_id", "endpoint_id", "secret_id",
  "job_id", "dataset_id", "prompt_id", "username", "workspace",
}
local largest_body = 65536

local function text(value)
  if type(value) == "table" then
    local parts = {}
    for i, item in ipairs(value) do
      if i > 20 then
        parts[#parts + 1] = "..."
        break
      end
      parts[#parts + 1] = tostring(item)
    end
    value = table.concat(parts, ",")
  end
  return tostring(value):sub(1, 256)
end

local function collect(objects, source)
  for _, key in ipairs(keys) do
    local value = source[key]
    if value ~= nil and value ~= json.null and type(value) ~= "boolean" then
      objects[key] = text(value)
    end
  end
end

function M.access()
  if not changes[ngx.req.get_method()] then
    return
  end
  local objects = {}
  collect(objects, ngx.req.get_uri_args(50))
  local length = tonumber(ngx.var.content_length or "")
  local kind = ngx.var.content_type or ""
  if length and length <= largest_body and kind:find("json", 1, true) then
    ngx.req.read_body()
    local document = json.decode(ngx.req.get_body_data() or "")
    if type(document) == "table" then
      collect(objects, document)
    end
  end
  ngx.ctx.presets_mlflow_audit = objects
end

function M.log()
  local objects = ngx.ctx.presets_mlflow_audit
  local credentials, user = request.credentials()
  local failed_login = ngx.status == 401 and credentials ~= nil
  if objects == nil and not failed_login then
    return
  end
  ngx.var.mlflow_audit = json.encode({
    time = ngx.var.time_iso8601,
    event = failed_login and "login failed" or "change",
    user = user or "",
    address = ngx.var.remote_addr,
    method = ngx.req.get_method(),
    path = ngx.var.uri,
    status = ngx.status,
    objects = objects or {},
  })
end

return M
