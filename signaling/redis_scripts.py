"""The Redis hub's data and the Lua scripts that change it, each atomically.

Keys (one Redis database; not for Redis Cluster — the scripts name keys they compute):

- `visavis:room:<code>` hash: `c` (the room exists), and per seat role r (0 the creator's
  impolite seat, 1 the polite one) `t<r>` = sha256 of its resume token and `m<r>` = the member
  holding it, `<instance>/<connection>`, or "" while the seat waits out its grace period. A
  room without seats gets a TTL (VISAVIS_EMPTY_ROOM_TTL): Redis forgets it by itself.
- `visavis:grace` sorted set: `<code>|<r>` of seats in grace, scored by their deadline (ms of
  Redis' clock); any instance's sweeper releases the due ones and tells the other member.
- `visavis:instances` set of live instance ids; `visavis:instance:<id>` its heartbeat (a key
  with a TTL); `visavis:instance:<id>:seats` the seats its sockets hold. An instance whose
  heartbeat expired is reaped: its seats go into grace, resumable through any instance.
- channel `visavis:to:<id>`: everything for the sockets of instance `<id>`, as
  `<connection> <code> <kind><payload>`. Kinds: `f` send the frame (a relayed `signal`);
  `j` the other seat's holder is now `<member>` (payload `<member> <peer-joined frame>`);
  `l` the other seat is free (payload: the peer-left frame); `g` the other seat's holder is
  away, in grace; `r` this socket's seat was resumed elsewhere: close it as `replaced`.
  Each instance remembers where the other member of each of its sockets is from `j`, `l`
  and `g`, so a relay is one PUBLISH. Everything for a socket, even from its own instance,
  goes through its channel: one order for all of it, Redis'.
"""

from __future__ import annotations

PREFIX = "visavis:"
INSTANCES = PREFIX + "instances"


def heartbeat_key(instance: str) -> str:
    return f"{PREFIX}instance:{instance}"


def channel(instance: str) -> str:
    return f"{PREFIX}to:{instance}"


def room_key(code: str) -> str:
    return f"{PREFIX}room:{code}"


_COMMON = """
local P = 'visavis:'
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function instance_of(member)
  return string.match(member or '', '^([^/]+)/')
end
local function seat_id(code, role) return code .. '|' .. role end
local function index_of(member)
  return P .. 'instance:' .. instance_of(member) .. ':seats'
end
local function send(member, code, kind, payload)
  local instance, conn = string.match(member, '^([^/]+)/(.+)$')
  redis.call('PUBLISH', P .. 'to:' .. instance, conn .. ' ' .. code .. ' ' .. kind .. payload)
end
-- Free a seat and tell the other member; a room left without seats expires by itself.
local function release(room, code, role, empty_ttl, peer_left)
  local member = redis.call('HGET', room, 'm' .. role)
  if instance_of(member) then redis.call('SREM', index_of(member), seat_id(code, role)) end
  redis.call('HDEL', room, 't' .. role, 'm' .. role)
  redis.call('ZREM', P .. 'grace', seat_id(code, role))
  local other = redis.call('HGET', room, 'm' .. (1 - role))
  if not other then
    redis.call('PEXPIRE', room, empty_ttl)
  elseif other ~= '' then
    send(other, code, 'l', peer_left)
  end
end
-- A seat's holder is gone for now: the seat waits for its token until the deadline.
local function into_grace(room, code, role, deadline)
  redis.call('HSET', room, 'm' .. role, '')
  redis.call('ZADD', P .. 'grace', deadline, seat_id(code, role))
  local other = redis.call('HGET', room, 'm' .. (1 - role))
  if other and other ~= '' then send(other, code, 'g', '') end
end
"""

# ARGV: code, member, token hash. 1, or 0 if the code is taken.
CREATE = (
    _COMMON
    + """
local room = P .. 'room:' .. ARGV[1]
if redis.call('EXISTS', room) == 1 then return 0 end
redis.call('HSET', room, 'c', '1', 't0', ARGV[3], 'm0', ARGV[2])
redis.call('SADD', index_of(ARGV[2]), seat_id(ARGV[1], 0))
return 1
"""
)

# ARGV: code, member, hash of the resume token or "", token hashes for a new seat of role 0
# and 1. {error code} or {'ok', role, resumed, replaced member, other seat taken, other member}.
JOIN = (
    _COMMON
    + """
local code, member, resume = ARGV[1], ARGV[2], ARGV[3]
local room = P .. 'room:' .. code
if redis.call('EXISTS', room) == 0 then return {'room-not-found'} end
local seats = redis.call('HMGET', room, 't0', 'm0', 't1', 'm1')
local role, resumed, replaced = nil, 0, ''
if resume ~= '' then
  for r = 0, 1 do
    if seats[2 * r + 1] == resume then role, resumed, replaced = r, 1, seats[2 * r + 2] end
  end
end
if role == nil then
  if not seats[1] then role = 0 elseif not seats[3] then role = 1 else return {'room-full'} end
  redis.call('HSET', room, 't' .. role, ARGV[4 + role])
end
if instance_of(replaced) then redis.call('SREM', index_of(replaced), seat_id(code, role)) end
redis.call('HSET', room, 'm' .. role, member)
redis.call('ZREM', P .. 'grace', seat_id(code, role))
redis.call('PERSIST', room)
redis.call('SADD', index_of(member), seat_id(code, role))
local other = seats[2 * (1 - role) + 2]
return {'ok', role, resumed, replaced, other and 1 or 0, other or ''}
"""
)

# ARGV: code, role, member, empty-room TTL ms, the peer-left frame. 1 if the seat was freed.
LEAVE = (
    _COMMON
    + """
local room = P .. 'room:' .. ARGV[1]
local role = tonumber(ARGV[2])
if redis.call('HGET', room, 'm' .. role) ~= ARGV[3] then return 0 end
release(room, ARGV[1], role, ARGV[4], ARGV[5])
return 1
"""
)

# ARGV: code, role, member, grace ms. The seat waits for its token holder until the deadline.
DISCONNECT = (
    _COMMON
    + """
local room = P .. 'room:' .. ARGV[1]
local role = tonumber(ARGV[2])
if redis.call('HGET', room, 'm' .. role) ~= ARGV[3] then return 0 end
redis.call('SREM', index_of(ARGV[3]), seat_id(ARGV[1], role))
into_grace(room, ARGV[1], role, now_ms() + tonumber(ARGV[4]))
return 1
"""
)

# ARGV: empty-room TTL ms, the peer-left frame. The codes of the rooms whose seat was freed.
SWEEP = (
    _COMMON
    + """
local due = redis.call('ZRANGEBYSCORE', P .. 'grace', '-inf', now_ms(), 'LIMIT', 0, 500)
local released = {}
for _, id in ipairs(due) do
  redis.call('ZREM', P .. 'grace', id)
  local code, role = string.match(id, '^(.*)|(%d)$')
  local room = P .. 'room:' .. code
  if redis.call('HGET', room, 'm' .. role) == '' then
    release(room, code, tonumber(role), ARGV[1], ARGV[2])
    table.insert(released, code)
  end
end
return released
"""
)

# ARGV: grace ms, an instance to reap even if alive ("" for none: at its own shutdown).
# Instances without a heartbeat are forgotten; their members' seats go into grace.
REAP = (
    _COMMON
    + """
local now = now_ms()
local reaped = 0
for _, id in ipairs(redis.call('SMEMBERS', P .. 'instances')) do
  if id == ARGV[2] or redis.call('EXISTS', P .. 'instance:' .. id) == 0 then
    local index = P .. 'instance:' .. id .. ':seats'
    for _, seat in ipairs(redis.call('SMEMBERS', index)) do
      local code, role = string.match(seat, '^(.*)|(%d)$')
      local room = P .. 'room:' .. code
      if instance_of(redis.call('HGET', room, 'm' .. role)) == id then
        into_grace(room, code, tonumber(role), now + tonumber(ARGV[1]))
      end
    end
    redis.call('DEL', index, P .. 'instance:' .. id)
    redis.call('SREM', P .. 'instances', id)
    reaped = reaped + 1
  end
end
return reaped
"""
)
