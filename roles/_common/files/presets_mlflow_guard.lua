-- presets.mlflow's guard against password guessing, in nginx (lua-nginx-module).
--
-- nginx answers, not MLflow: a client address that failed to log in too often
-- (for one user name, or for any) gets 429 Too Many Requests with Retry-After
-- for a while, before its request reaches MLflow, so no password hash is
-- computed for it. Failures are the 401 answers to requests that carried
-- credentials (Basic: a password, or single sign-on's API token; the AI
-- gateway's X-MLflow-Authorization on /gateway/). Other addresses are not
-- affected: the real user is not locked out by someone else's guesses.
--
-- The site calls configure() from init_by_lua, access() in the access phase and
-- log() in the log phase; the control server (a root-only unix socket) calls
-- list() and unblock(). State lives in the shared dictionary
-- presets_mlflow_guard, which every worker sees:
--   f|ADDRESS|USER, f|ADDRESS  failures in the current window (expire with it)
--   b|ADDRESS|USER, b|ADDRESS  blocks (expire when they end)
--   p|ADDRESS                  requests with unproven credentials in flight
--   w|ADDRESS                  refusals waiting (conf.delay) before they answer
--   g|HMAC                     credentials that worked lately (HMAC with a key
--                              made at each start: no password is kept)
local M = {}

local request = require("presets_mlflow_request")
local dict = ngx.shared.presets_mlflow_guard
local conf = {}
local secret

-- Paths MLflow answers without a login: a success there proves no credential.
local open_prefixes = {"/health", "/static-files/", "/favicon.ico"}

function M.configure(settings)
  for key, value in pairs(settings) do
    conf[key] = value
  end
  local random = assert(io.open("/dev/urandom", "rb"))
  secret = random:read(32)
  random:close()
end

-- The client's key: its address (an IPv6 client's /64, which one host holds).
local function client()
  local bin = ngx.var.binary_remote_addr
  if bin and #bin == 16 then
    local groups = {}
    for i = 1, 8, 2 do
      groups[#groups + 1] = string.format("%x", bin:byte(i) * 256 + bin:byte(i + 1))
    end
    return table.concat(groups, ":") .. "::/64"
  end
  return ngx.var.remote_addr
end

local function blocked(address, user)
  for _, key in ipairs({"b|" .. address .. "|" .. user, "b|" .. address}) do
    local ttl = dict:ttl(key)
    if ttl then
      return math.max(1, math.ceil(ttl))
    end
  end
end

-- 429 with Retry-After. A client that keeps trying waits a little for each
-- answer (conf.delay: a timer, no CPU), which slows a guessing loop to a crawl;
-- only conf.concurrency answers wait at once per address, so that waiting
-- cannot tie up nginx's connections.
local function refuse(address, seconds, why)
  local waiting = dict:incr("w|" .. address, 1, 0, 60)
  if waiting and waiting <= conf.concurrency and conf.delay > 0 then
    ngx.sleep(conf.delay)
  end
  dict:incr("w|" .. address, -1)
  ngx.status = 429
  ngx.header["Retry-After"] = seconds
  ngx.header["Content-Type"] = "text/plain"
  ngx.say(why, " Try again in ", seconds, " s.")
  return ngx.exit(429)
end

function M.access()
  local header, user = request.credentials()
  if not header then
    return
  end
  local address = client()
  local seconds = blocked(address, user)
  if seconds then
    return refuse(address, seconds, "Too many failed logins from this address.")
  end
  local guard = {address = address, user = user,
                 good = "g|" .. ngx.encode_base64(ngx.hmac_sha1(secret, header))}
  -- Unproven credentials: only a few at once from one address, so that a burst
  -- of guesses cannot make the server compute many hashes before they count.
  if not dict:get(guard.good) then
    local pending = dict:incr("p|" .. address, 1, 0, 300)
    if pending and pending > conf.concurrency then
      dict:incr("p|" .. address, -1)
      return refuse(address, 1, "Too many logins at once from this address.")
    end
    guard.pending = true
  end
  ngx.ctx.presets_mlflow_guard = guard
end

local function open_path(uri)
  for _, prefix in ipairs(open_prefixes) do
    if uri:sub(1, #prefix) == prefix then
      return true
    end
  end
  return uri:find("/server-info", 1, true) ~= nil
end

local function block(key, seconds, failures, address, user)
  if dict:add(key, true, seconds) then
    ngx.log(ngx.ERR, "presets-mlflow login guard: ", failures, " failed logins ",
            user and string.format("for user %q ", user) or "for any user ", "from ", address,
            ": refused for ", seconds, " s (to lift it: mlflow-login-guard unblock ", address,
            user and " " .. user or "", ")")
  end
end

function M.log()
  local guard = ngx.ctx.presets_mlflow_guard
  if not guard then
    return
  end
  if guard.pending then
    dict:incr("p|" .. guard.address, -1)
  end
  local status = ngx.status
  local pair = guard.address .. "|" .. guard.user
  if status == 401 then
    dict:delete(guard.good)
    local failures = dict:incr("f|" .. pair, 1, 0, conf.window)
    if failures and failures >= conf.attempts then
      block("b|" .. pair, conf.block, failures, guard.address, guard.user)
    end
    failures = dict:incr("f|" .. guard.address, 1, 0, conf.window)
    if failures and failures >= conf.address_attempts then
      block("b|" .. guard.address, conf.block, failures, guard.address)
    end
  elseif status < 500 and status ~= 429 and not open_path(ngx.var.uri) then
    dict:set(guard.good, true, conf.remember)
    dict:delete("f|" .. pair)
  end
end

-- The control server's answers (root only: a unix socket in a root-only directory).
function M.list()
  ngx.header["Content-Type"] = "text/plain"
  for _, key in ipairs(dict:get_keys(0)) do
    local kind, address, user = key:match("^([bf])|([^|]+)|?(.*)$")
    if kind then
      local ttl = dict:ttl(key) or 0
      local value = kind == "f" and dict:get(key) or ""
      ngx.say(kind == "b" and "blocked" or "failures", "\t", address, "\t", user == "" and "*" or user,
              "\t", value, "\t", math.ceil(ttl))
    end
  end
end

function M.unblock()
  local args = ngx.req.get_uri_args()
  local address, user = args.address, args.user
  local lifted = 0
  for _, key in ipairs(dict:get_keys(0)) do
    local kind, key_address, key_user = key:match("^([bf])|([^|]+)|?(.*)$")
    if kind and (args.all or (key_address == address and (user == nil or key_user == user))) then
      if kind == "b" then
        lifted = lifted + 1
      end
      dict:delete(key)
    end
  end
  ngx.header["Content-Type"] = "text/plain"
  ngx.say(lifted)
end

return M
