/**
 * The store's Lua scripts: each one step on a conversation's keys that must not be interleaved
 * with another client's (see store.ts for the keys and what calls them).
 *   APPEND_LUA       KEYS: log, record   ARGV: entry id, message JSON, tokens, now
 *   APPEND_NEXT_LUA  KEYS: log, record   ARGV: entry id, message JSON, tokens, now, sequence number
 *   FINALIZE_LUA     KEYS: record        ARGV: status, stop reason, now, error
 *   STOPPING_LUA     KEYS: record        ARGV: stop reason
 */

/** append a message once: XADD with the message's own id fails if it (or a later one) exists */
export const APPEND_LUA = `
local ok = redis.pcall('XADD', KEYS[1], ARGV[1], 'm', ARGV[2], 't', ARGV[4])
if type(ok) == 'table' and ok.err then return 0 end
redis.call('HINCRBY', KEYS[2], 'turns', 1)
redis.call('HINCRBY', KEYS[2], 'tokens_total', tonumber(ARGV[3]))
return 1`;

/**
 * append the next message of a conversation: like APPEND_LUA, and only if it leaves no gap in
 * the log (its sequence number is at most turns + 1). Returns {code, status, turns}, the
 * record's status and turns before: code 1 appended, 0 already there, -2 a turn before it is
 * missing, -1 no record.
 */
export const APPEND_NEXT_LUA = `
local rec = redis.call('HMGET', KEYS[2], 'status', 'turns')
if not rec[1] then return {-1, '', 0} end
local turns = tonumber(rec[2]) or 0
if tonumber(ARGV[5]) > turns + 1 then return {-2, rec[1], turns} end
local ok = redis.pcall('XADD', KEYS[1], ARGV[1], 'm', ARGV[2], 't', ARGV[4])
if type(ok) == 'table' and ok.err then return {0, rec[1], turns} end
redis.call('HINCRBY', KEYS[2], 'turns', 1)
redis.call('HINCRBY', KEYS[2], 'tokens_total', tonumber(ARGV[3]))
return {1, rec[1], turns}`;

/** set the final status once; later calls change nothing */
export const FINALIZE_LUA = `
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return -1 end
if s == 'completed' or s == 'stopped' or s == 'failed' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'stop_reason', ARGV[2], 'ended_at', ARGV[3], 'phase', '', 'pending_seq', '')
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[4]) end
return 1`;

/** move to "stopping" with a reason unless already stopping or final */
export const STOPPING_LUA = `
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return -1 end
if s == 'completed' or s == 'stopped' or s == 'failed' or s == 'stopping' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'stopping', 'stop_reason', ARGV[1])
return 1`;
