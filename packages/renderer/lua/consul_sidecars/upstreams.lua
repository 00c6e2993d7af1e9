-- consul_sidecars.upstreams: nginx upstream membership that follows Consul with no reload.
--
-- The renderer pushes each upstream's peers (address, port, weight, backup, down) as JSON to an admin location
-- on a loopback-only port of nginx; they live in a lua_shared_dict that every worker reads, so a change reaches
-- all workers at once and survives `nginx -s reload`. `balance(name)` (balancer_by_lua_block) picks a peer:
-- smooth weighted round robin over the primary peers, backup peers only when no primary is left, and on a
-- failed attempt the next untried peer (set_more_tries). Until the first push, `require_peers(name)`
-- (access_by_lua_block) answers a clear 503 instead of letting the placeholder server fail.
--
-- Shared dict keys: "boot" (an id made when the dict is fresh: after an nginx restart it differs, which tells the
-- renderer to push everything again), "peers:<name>" (the validated JSON), "version:<name>" (bumped per push),
-- "generation" (bumped by every accepted push: a renderer that sees one it did not make reads what nginx holds and
-- repairs what differs from what it should hold).
--
-- Authentication: with `secret_file` (configure()), every admin request must carry `Authorization: Bearer <secret>`,
-- the file's content (whitespace trimmed, at least 16 characters). The file is read once, in init_by_lua (the
-- master, before workers drop privileges), so it can be readable by root and the renderer's user only; the secret
-- is never logged or echoed. Loopback alone is no boundary: every container with host networking is a local client.
-- Debian bookworm: nginx-extras (libnginx-mod-http-lua, lua-resty-core) and lua-cjson.

local cjson = require("cjson.safe")

local M = {}

local DEFAULTS = {
  dict = "consul_sidecars_upstreams",
  -- Refuse a push that would leave an upstream with no usable peer (the renderer's guard.rejectEmptyUpstreams).
  reject_empty = true,
  -- A peer whose attempt failed is skipped by this worker for this long (unless no other peer is left).
  fail_timeout = 10,
  -- Attempts per request beyond the first (also bounded by proxy_next_upstream_tries and the peer count).
  max_retries = 2,
  max_peers = 1000,
  -- A file holding the push secret; false: no authentication (the loopback check only).
  secret_file = false,
}

local config = {}
for k, v in pairs(DEFAULTS) do config[k] = v end

local NAME_PATTERN = "^[%w_.%-]+$"
local MAX_NAME = 200
local PEER_FIELDS = { address = true, port = true, weight = true, backup = true, down = true }
local MIN_SECRET = 16

-- The push secret (from secret_file), nil when pushes are not authenticated.
local secret

-- Per worker: decoded peer lists keyed by upstream name, with the version they were decoded at, and the
-- round-robin state that lives on those peer tables.
local cache = {}
-- Per worker: "address:port" -> time until which a failed peer is skipped.
local failed_until = {}

local function dict()
  local d = ngx.shared[config.dict]
  if not d then
    error("lua_shared_dict " .. config.dict .. " is not declared in the http block")
  end
  return d
end

--- init_by_lua_block: options, and the boot id when the dict is fresh (start, or restart; a reload keeps it).
function M.configure(options)
  for k, v in pairs(options or {}) do
    if DEFAULTS[k] == nil then error("consul_sidecars.upstreams: unknown option " .. tostring(k)) end
    config[k] = v
  end
  secret = nil
  if config.secret_file then
    local f, err = io.open(config.secret_file, "rb")
    if not f then error("consul_sidecars.upstreams: secret_file " .. tostring(config.secret_file) .. ": " .. tostring(err)) end
    local text = f:read("*a") or ""
    f:close()
    text = text:match("^%s*(.-)%s*$")
    if #text < MIN_SECRET or text:find("%s") then
      error("consul_sidecars.upstreams: secret_file " .. config.secret_file .. " must hold one word of at least " .. MIN_SECRET .. " characters")
    end
    secret = text
  end
  local d = dict()
  math.randomseed(ngx.now() * 1000 + ngx.worker.pid())
  d:add("boot", string.format("%d-%d-%06d", ngx.time(), ngx.worker.pid(), math.random(0, 999999)))
end

-- Validation ---------------------------------------------------------------------------------------------------

local function is_ipv4(s)
  local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return false end
  for _, part in ipairs({ a, b, c, d }) do
    if #part > 3 or tonumber(part) > 255 then return false end
  end
  return true
end

-- Colon-separated groups of 1-4 hex digits; nil when one is not.
local function hex_groups(part)
  if part == "" then return 0 end
  local n = 0
  for g in (part .. ":"):gmatch("([^:]*):") do
    if not g:match("^%x%x?%x?%x?$") then return nil end
    n = n + 1
  end
  return n
end

-- RFC 4291 text forms: 8 groups, or fewer with one "::", optionally ending in a dotted IPv4 (two groups).
local function is_ipv6(s)
  if #s < 2 or #s > 45 or not s:match("^[%x:%.]+$") then return false end
  local head, v4 = s:match("^(.*:)(%d+%.%d+%.%d+%.%d+)$")
  if head then
    if not is_ipv4(v4) then return false end
    s = head .. "0:0"
  elseif s:find(".", 1, true) then
    return false
  end
  if s:find(":::", 1, true) then return false end
  local first, second = s:find("::", 1, true)
  if first then
    if s:find("::", second + 1, true) then return false end
    local a, b = hex_groups(s:sub(1, first - 1)), hex_groups(s:sub(second + 1))
    return a ~= nil and b ~= nil and a + b <= 7
  end
  return hex_groups(s) == 8
end

-- Addresses no request can be sent to.
local UNROUTABLE = { ["0.0.0.0"] = true, ["::"] = true, ["0:0:0:0:0:0:0:0"] = true }

local function is_integer(v, lo, hi)
  return type(v) == "number" and v == math.floor(v) and v >= lo and v <= hi
end

-- Returns the normalised peer list, or nil and an error naming the field.
local function validate_peers(name, peers)
  local at = "upstreams." .. name
  if type(peers) ~= "table" or (next(peers) ~= nil and #peers == 0) then
    return nil, at .. ": must be an array of peers (or null to remove the upstream)"
  end
  if #peers > config.max_peers then
    return nil, at .. ": " .. #peers .. " peers, at most " .. config.max_peers
  end
  local out, seen = {}, {}
  for i, p in ipairs(peers) do
    local field = at .. "[" .. (i - 1) .. "]"
    if type(p) ~= "table" or (next(p) ~= nil and #p > 0) then return nil, field .. ": must be an object" end
    for key in pairs(p) do
      if type(key) ~= "string" or not PEER_FIELDS[key] then
        return nil, field .. "." .. tostring(key) .. ": unknown field (a peer has address, port, weight, backup, down)"
      end
    end
    local address = p.address
    if type(address) ~= "string" or not (is_ipv4(address) or is_ipv6(address)) or UNROUTABLE[address] then
      return nil, field .. ".address: must be an IPv4 or IPv6 address (the balancer cannot resolve names), got " .. cjson.encode(address)
    end
    if not is_integer(p.port, 1, 65535) then
      return nil, field .. ".port: must be an integer 1-65535, got " .. cjson.encode(p.port)
    end
    local weight = p.weight
    if weight == nil or weight == cjson.null then weight = 1 end
    if not is_integer(weight, 1, 1000) then
      return nil, field .. ".weight: must be an integer 1-1000, got " .. cjson.encode(p.weight)
    end
    for _, flag in ipairs({ "backup", "down" }) do
      local v = p[flag]
      if v ~= nil and v ~= cjson.null and type(v) ~= "boolean" then
        return nil, field .. "." .. flag .. ": must be true or false, got " .. cjson.encode(v)
      end
    end
    local key = (address:find(":", 1, true) and ("[" .. address .. "]") or address) .. ":" .. p.port
    if seen[key] then return nil, field .. ": " .. key .. " is listed twice" end
    seen[key] = true
    out[#out + 1] = { address = address, port = p.port, weight = weight, backup = p.backup == true, down = p.down == true }
  end
  return out
end

local function usable_count(peers)
  local n = 0
  for _, p in ipairs(peers) do
    if not p.down then n = n + 1 end
  end
  return n
end

-- Admin: GET (list), POST (push) -----------------------------------------------------------------------------

local function respond(status, body)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Cache-Control"] = "no-store"
  ngx.say(cjson.encode(body))
  return ngx.exit(status)
end

local function is_loopback(addr)
  return addr ~= nil and (addr:match("^127%.") ~= nil or addr == "::1" or addr:match("^::ffff:127%.") ~= nil or addr == "unix:")
end

local function read_body()
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if body then return body end
  local file = ngx.req.get_body_file()
  if not file then return nil end
  local f = io.open(file, "rb")
  if not f then return nil end
  body = f:read("*a")
  f:close()
  return body
end

-- JSON text of {"<name>": {"version": n, "peers": [...]}}, built from the stored text: Debian's lua-cjson would
-- encode an empty peer list as {} (it has no empty_array), so stored lists are kept as the text we validated.
local function listing(d, only)
  local names = only and { only } or {}
  if not only then
    for _, key in ipairs(d:get_keys(0)) do
      local name = key:match("^peers:(.+)$")
      if name then names[#names + 1] = name end
    end
    table.sort(names)
  end
  local parts, found = {}, 0
  for _, name in ipairs(names) do
    local raw = d:get("peers:" .. name)
    if raw then
      found = found + 1
      parts[#parts + 1] = cjson.encode(name) .. ':{"version":' .. (d:get("version:" .. name) or 0) .. ',"peers":' .. raw .. "}"
    end
  end
  return "{" .. table.concat(parts, ",") .. "}", found
end

local function encode_peers(peers)
  local parts = {}
  for i, p in ipairs(peers) do parts[i] = cjson.encode(p) end
  return "[" .. table.concat(parts, ",") .. "]"
end

local function encode_strings(list)
  local parts = {}
  for i, s in ipairs(list) do parts[i] = cjson.encode(s) end
  return "[" .. table.concat(parts, ",") .. "]"
end

local function respond_raw(status, text)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Cache-Control"] = "no-store"
  ngx.say(text)
  return ngx.exit(status)
end

local function push(d)
  local raw = read_body()
  if not raw or raw == "" then return respond(400, { error = "empty body: want {\"upstreams\": {\"<name>\": [peers] | null}}" }) end
  local body = cjson.decode(raw)
  if type(body) ~= "table" or type(body.upstreams) ~= "table" then
    return respond(400, { error = "body must be a JSON object with an \"upstreams\" object" })
  end
  for key in pairs(body) do
    if key ~= "upstreams" then
      return respond(400, { error = tostring(key) .. ": unknown field (the body has only \"upstreams\")", field = tostring(key) })
    end
  end
  -- Validate everything first: a body is applied whole or not at all.
  local sets, removes, count = {}, {}, 0
  for name, peers in pairs(body.upstreams) do
    count = count + 1
    if type(name) ~= "string" or #name > MAX_NAME or not name:match(NAME_PATTERN) then
      return respond(400, { error = "upstreams: " .. cjson.encode(name) .. " is not a valid upstream name" })
    end
    if peers == cjson.null then
      removes[#removes + 1] = name
    else
      local valid, err = validate_peers(name, peers)
      if not valid then return respond(400, { error = err }) end
      if config.reject_empty and usable_count(valid) == 0 then
        return respond(409, {
          error = "upstream " .. name .. " would have no usable peer; the guard (reject_empty) keeps its current peers",
          upstream = name,
        })
      end
      sets[name] = encode_peers(valid)
    end
  end
  if count == 0 then return respond(400, { error = "upstreams: empty object, nothing to apply" }) end
  local applied = {}
  for name, encoded in pairs(sets) do
    -- safe_set: a full dict answers an error instead of evicting another upstream's peers.
    local ok, err = d:safe_set("peers:" .. name, encoded)
    if not ok then
      return respond(507, { error = "shared dict " .. config.dict .. ": " .. tostring(err) .. " (raise lua_shared_dict's size)", upstream = name })
    end
    local version, verr = d:incr("version:" .. name, 1, 0)
    if not version then return respond(500, { error = "version of " .. name .. ": " .. tostring(verr) }) end
    applied[name] = version
  end
  for _, name in ipairs(removes) do
    d:delete("peers:" .. name)
    d:delete("version:" .. name)
  end
  local generation = d:incr("generation", 1, 0)
  return respond_raw(200, '{"boot":' .. cjson.encode(d:get("boot")) .. ',"generation":' .. (generation or 0) .. ',"applied":' .. cjson.encode(applied)
    .. ',"removed":' .. encode_strings(removes) .. "}")
end

--- content_by_lua_block of the admin location (e.g. location /consul-sidecars/ on a 127.0.0.1 listener).
--   GET  <prefix>/status           {"boot": "...", "upstreams": N}
--   GET  <prefix>/upstreams        {"boot": "...", "upstreams": {"<name>": {"version": n, "peers": [...]}}}
--   GET  <prefix>/upstreams/<name> the same for one upstream (404 when it was never pushed)
--   POST <prefix>/upstreams        {"upstreams": {"<name>": [{"address", "port", "weight", "backup", "down"}] | null}}
-- Equal strings, in a time that does not depend on where they differ.
local function same_secret(given, want)
  if #given ~= #want then return false end
  local bit = require("bit")
  local diff = 0
  for i = 1, #want do diff = bit.bor(diff, bit.bxor(given:byte(i), want:byte(i))) end
  return diff == 0
end

local function authenticated()
  if not secret then return true end
  local header = ngx.var.http_authorization
  if type(header) ~= "string" then return false, "missing Authorization: Bearer <push secret> (nginx is configured with a secret_file)" end
  local given = header:match("^Bearer (.+)$")
  if not given or not same_secret(given, secret) then return false, "wrong push secret in Authorization" end
  return true
end

function M.admin()
  if not is_loopback(ngx.var.remote_addr) then
    return respond(403, { error = "the upstream admin endpoint answers loopback clients only" })
  end
  local ok, why = authenticated()
  if not ok then
    ngx.header["WWW-Authenticate"] = 'Bearer realm="consul-sidecars"'
    return respond(401, { error = why })
  end
  local d = dict()
  local uri = ngx.var.uri
  local method = ngx.req.get_method()
  if uri:match("/status$") then
    if method ~= "GET" then ngx.header["Allow"] = "GET"; return respond(405, { error = "GET only" }) end
    local n = 0
    for _, key in ipairs(d:get_keys(0)) do
      if key:match("^peers:") then n = n + 1 end
    end
    return respond(200, { boot = d:get("boot"), upstreams = n, generation = d:get("generation") or 0 })
  end
  local one = uri:match("/upstreams/([^/]+)$")
  if uri:match("/upstreams$") or one then
    if method == "GET" then
      local text, found = listing(d, one)
      if one and found == 0 then return respond(404, { error = "upstream " .. one .. " has not been pushed" }) end
      return respond_raw(200, '{"boot":' .. cjson.encode(d:get("boot")) .. ',"generation":' .. (d:get("generation") or 0) .. ',"upstreams":' .. text .. "}")
    end
    if method == "POST" and not one then return push(d) end
    ngx.header["Allow"] = one and "GET" or "GET, POST"
    return respond(405, { error = method .. " is not allowed here" })
  end
  return respond(404, { error = "no such admin resource: " .. uri })
end

-- Balancing --------------------------------------------------------------------------------------------------

local function peer_key(p)
  return p.address .. ":" .. p.port
end

-- The worker's decoded peers of `name`, refreshed when the version in the dict moved.
local function current_peers(name)
  local d = dict()
  local version = d:get("version:" .. name)
  if not version then
    cache[name] = nil
    return nil
  end
  local entry = cache[name]
  if entry and entry.version == version then return entry.peers end
  local raw = d:get("peers:" .. name)
  local peers = raw and cjson.decode(raw)
  if type(peers) ~= "table" then return nil end
  -- Round-robin state carries over for peers that stay.
  local previous = {}
  if entry then
    for _, p in ipairs(entry.peers) do previous[peer_key(p)] = p.current end
  end
  for _, p in ipairs(peers) do p.current = previous[peer_key(p)] or 0 end
  cache[name] = { version = version, peers = peers }
  return peers
end

-- Smooth weighted round robin (nginx's own algorithm) over the peers `accept` lets through.
local function pick(peers, accept)
  local best, total = nil, 0
  for _, p in ipairs(peers) do
    if accept(p) then
      p.current = p.current + p.weight
      total = total + p.weight
      if best == nil or p.current > best.current then best = p end
    end
  end
  if best then best.current = best.current - total end
  return best
end

local function choose(peers, tried, now)
  local healthy = function(p) return not p.down and not tried[peer_key(p)] and (failed_until[peer_key(p)] or 0) <= now end
  local untried = function(p) return not p.down and not tried[peer_key(p)] end
  return pick(peers, function(p) return not p.backup and healthy(p) end)
    or pick(peers, function(p) return p.backup and healthy(p) end)
    -- Every peer failed recently: try them anyway rather than fail the request.
    or pick(peers, function(p) return not p.backup and untried(p) end)
    or pick(peers, function(p) return p.backup and untried(p) end)
end

--- balancer_by_lua_block of `upstream <name> { server 0.0.0.1; balancer_by_lua_block {...} }`.
function M.balance(name)
  local balancer = require("ngx.balancer")
  local ctx = ngx.ctx
  local state = ctx.consul_sidecars
  local now = ngx.now()
  if state then
    -- A retry: remember why the last peer failed.
    local status = balancer.get_last_failure()
    if status == "failed" and state.last then failed_until[state.last] = now + config.fail_timeout end
  end
  local peers = current_peers(name)
  if not peers or #peers == 0 then
    ngx.log(ngx.ERR, "consul_sidecars: upstream ", name, " has no peers")
    return ngx.exit(502)
  end
  if not state then
    state = { tried = {} }
    ctx.consul_sidecars = state
    local retries = math.min(usable_count(peers) - 1, config.max_retries)
    if retries > 0 then balancer.set_more_tries(retries) end
  end
  local peer = choose(peers, state.tried, now)
  if not peer then
    ngx.log(ngx.ERR, "consul_sidecars: upstream ", name, ": every peer was tried or is down")
    return ngx.exit(502)
  end
  local key = peer_key(peer)
  state.tried[key] = true
  state.last = key
  local ok, err = balancer.set_current_peer(peer.address, peer.port)
  if not ok then
    ngx.log(ngx.ERR, "consul_sidecars: set_current_peer ", key, ": ", err)
    return ngx.exit(500)
  end
end

--- access_by_lua_block of the locations that proxy to `name`: the fallback until peers are pushed.
function M.require_peers(name)
  local peers = current_peers(name)
  if peers and usable_count(peers) > 0 then return end
  ngx.status = 503
  ngx.header["Content-Type"] = "text/plain"
  ngx.header["Retry-After"] = "1"
  if not peers then
    ngx.say("503: no instances of ", name, " have been pushed to nginx yet (the consul-sidecars renderer pushes them on start); retry shortly")
  else
    ngx.say("503: no healthy instance of ", name)
  end
  return ngx.exit(503)
end

-- For tests: forget the per-worker state.
function M._reset_worker_state()
  cache = {}
  failed_until = {}
end

return M
