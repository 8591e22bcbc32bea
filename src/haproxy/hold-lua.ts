/**
 * @module The Lua action that holds a request while its domain has no server
 * in service (a container restarting or being replaced), written as hold.lua
 * beside haproxy.cfg and loaded with `lua-load`. The config calls it only for
 * a routed host with a hold (hold.map) whose pool has no usable server, so
 * the common path never enters Lua. `core.msleep` yields: other requests go
 * on while one waits. It returns as soon as a pool has a usable server
 * (`nbsrv` counts UP servers: a server with a health check counts once its
 * check passed) or when the hold ran out; the routing rules after it then
 * send the request to the pool, or to the 503 that names the host.
 * Works on HAProxy 2.6 (whose Lua Proxy class has no get_srv_act) and 3.x.
 */
import { writeFileAtomic } from '../os/atomic-write.ts';

/** How often a held request looks again (ms): the most a release can lag. */
export const HOLD_POLL_MS = 10;

/** The file's text. Argument: "http" (the plain pool only) or "tls" (the ssl pool, then the plain one). */
export const HOLD_LUA = `-- Rendered by haproxy-operator: holds requests while a domain has no server in service.
local function usable(txn, backend)
  return core.backends[backend] ~= nil and (tonumber(txn.c:nbsrv(backend)) or 0) > 0
end

local function elapsed_ms(t0)
  local t = core.now()
  return (t.sec - t0.sec) * 1000 + (t.usec - t0.usec) / 1000
end

core.register_action("hold", { "http-req" }, function(txn, family)
  local pool = txn:get_var("txn.pool")
  local hold = tonumber(txn:get_var("txn.hold"))
  if pool == nil or hold == nil or hold <= 0 then return end
  local backends = { pool }
  if family == "tls" then backends = { pool .. "_ssl", pool } end
  local t0 = core.now()
  while elapsed_ms(t0) < hold do
    for _, backend in ipairs(backends) do
      if usable(txn, backend) then return end
    end
    core.msleep(${HOLD_POLL_MS})
  end
end, 1)
`;

/** hold.lua lives beside domains.map (and haproxy.cfg in managed mode). */
export function holdLuaFile(mapFile: string): string {
  return mapFile.replace(/[^/]*$/, 'hold.lua');
}

/** Writes hold.lua (atomically, unchanged text rewrites the same bytes): HAProxy refuses to start without it. */
export async function writeHoldLua(mapFile: string): Promise<void> {
  await writeFileAtomic(holdLuaFile(mapFile), HOLD_LUA);
}
