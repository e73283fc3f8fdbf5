-- What presets.mlflow's Lua (the login guard, the audit trail) reads of a request.
local M = {}

-- The credentials the request carries, as sent (on /gateway/ routes MLflow's
-- X-MLflow-Authorization first, as MLflow reads them), and the user they name:
-- the user of Basic credentials (a password, or single sign-on's API token),
-- "" for another scheme; nil, nil without credentials.
function M.credentials()
  local header
  if ngx.var.uri:sub(1, 9) == "/gateway/" then
    header = ngx.var.http_x_mlflow_authorization
  end
  if header == nil or header == "" then
    header = ngx.var.http_authorization
  end
  if header == nil or header == "" then
    return nil, nil
  end
  local encoded = header:match("^%s*[Bb][Aa][Ss][Ii][Cc]%s+(%S+)%s*$")
  local plain = encoded and ngx.decode_base64(encoded)
  local user = plain and plain:match("^([^:]*)") or ""
  return header, user:sub(1, 256)
end

return M
