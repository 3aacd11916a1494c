/**
 * The store's Lua scripts: each one step on a conversation's keys that must not be interleaved
 * with another client's (see store.ts for the keys and what calls them).
 *   APPEND_LUA       KEYS: log, record   ARGV: entry id, message JSON, tokens, sequence number, outcome
 *   APPEND_NEXT_LUA  KEYS: log, record[, tokens]   ARGV: entry id, message JSON, tokens, sequence number, outcome, agent id
 *                    [, the turn's last token chunk: the stream's MAXLEN, then the chunk's fields]
 *   APPEND_AHEAD_LUA KEYS: log, record, remarks[, tokens]   ARGV: APPEND_NEXT_LUA's six, then the next turn's choice (JSON,
 *                    sequence number, agent id) and the record's expected tokens_total and remarks after the append
 *                    [, the last token chunk as for APPEND_NEXT_LUA]
 *   REMARK_LUA       KEYS: log, record, remarks   ARGV: entry id, message JSON, tokens, sequence number, outcome, the remark
 *   FINALIZE_LUA     KEYS: record        ARGV: status, stop reason, error
 *   STOPPING_LUA     KEYS: record        ARGV: stop reason
 *   STOP_PENDING_LUA KEYS: record        ARGV: stop reason
 *   WHILE_PREPARING_LUA KEYS: record     ARGV: field, value pairs
 *   RENEW_LUA        KEYS: record        ARGV: lease ms
 *   WATCH_LUA        KEYS: record        ARGV: ms
 *   ABANDON_LUA      KEYS: record, log   ARGV: error
 *   HISTORY_LUA      KEYS: log, record   ARGV: entry id, message JSON, now
 * "outcome" is four flags, "0" or "1" each: failed, cut, stalled, retried — counted in the record's
 * failed_turns, cut_turns, stalled_turns, retried_turns — and a fifth, ok (a turn that said
 * something and did not fail or stall), counted in ok_turns. Every time a script stamps — when a
 * message was recorded (the log entry's `t`), ended_at, lease_until, renewed_at, watched_until — is Redis' own clock (TIME),
 * never a client's. Each script touches the keys of one conversation only (one hash slot).
 */

/** Redis' clock in ms */
const NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** the record's outcome counters, bumped as a message is appended (ARGV[5] holds the flags) */
const COUNT_OUTCOME = `
local flags = ARGV[5] or ''
local names = {'failed_turns', 'cut_turns', 'stalled_turns', 'retried_turns', 'ok_turns'}
for i = 1, 5 do
  if string.sub(flags, i, i) == '1' then redis.call('HINCRBY', KEYS[2], names[i], 1) end
end`;

/**
 * the turn's last token chunk that came with a message (TokenTailSchema), added to the token
 * stream KEYS[key] — ARGV[at] its MAXLEN, the chunk's fields after it — just before the message
 * is appended, and taken back (TAIL_UNDO) when the append finds the message there already; none
 * when the script was given no such key. Before, not after: Redis 7.0 answers an XREAD blocked on
 * the log and the token stream with the entries of the key written first, so an observer gets
 * the chunk, then the message.
 */
const TAIL_ADD = (key: number, at: number): string => `
local tail = false
if ARGV[${at}] and KEYS[${key}] then tail = redis.call('XADD', KEYS[${key}], 'MAXLEN', '~', ARGV[${at}], '*', unpack(ARGV, ${at + 1})) end`;
const TAIL_UNDO = (key: number): string => `if tail then redis.call('XDEL', KEYS[${key}], tail) end`;

/** append a message once: XADD with the message's own id fails if it (or a later one) exists */
export const APPEND_LUA = `
${NOW_MS}
local ok = redis.pcall('XADD', KEYS[1], ARGV[1], 'm', ARGV[2], 't', now)
if type(ok) == 'table' and ok.err then return 0 end
redis.call('HINCRBY', KEYS[2], 'turns', 1)
redis.call('HINCRBY', KEYS[2], 'tokens_total', tonumber(ARGV[3]))
${COUNT_OUTCOME}
return 1`;

/**
 * append the next message of a conversation: like APPEND_LUA, and only if it leaves no gap in
 * the log (its sequence number is at most turns + 1) and comes from the speaker chosen for that
 * turn (next_agent, when the record has one for it). Returns {code, status, turns}, the record's
 * status and turns before: code 1 appended, 0 already there, -2 a turn before it is missing, -3
 * another agent's turn, -1 no record.
 */
export const APPEND_NEXT_LUA = `
local rec = redis.call('HMGET', KEYS[2], 'status', 'turns', 'next_seq', 'next_agent')
if not rec[1] then return {-1, '', 0} end
local turns = tonumber(rec[2]) or 0
if tonumber(ARGV[4]) > turns + 1 then return {-2, rec[1], turns} end
if ARGV[6] and rec[3] == ARGV[4] and rec[4] and rec[4] ~= '' and rec[4] ~= ARGV[6] then return {-3, rec[1], turns} end
${NOW_MS}
${TAIL_ADD(3, 7)}
local ok = redis.pcall('XADD', KEYS[1], ARGV[1], 'm', ARGV[2], 't', now)
if type(ok) == 'table' and ok.err then
  ${TAIL_UNDO(3)}
  return {0, rec[1], turns}
end
redis.call('HINCRBY', KEYS[2], 'turns', 1)
redis.call('HINCRBY', KEYS[2], 'tokens_total', tonumber(ARGV[3]))
${COUNT_OUTCOME}
return {1, rec[1], turns}`;

/**
 * APPEND_NEXT_LUA, then the next turn's speaker chosen ahead (manager/ahead.ts): the manager sends
 * this with the next turn's request right behind it, before it knows what the append did. The
 * choice is written — with next_job "ahead", which is what lets that request's worker go on —
 * only if the record is as the manager expected: running, the message the latest (turns = its
 * sequence number), tokens_total and remarks as predicted, no narrator's remark waiting, and no
 * turn of that number chosen or refused before. A choice already written ahead for that turn
 * counts as chosen (a manager doing the step again). When no choice for it exists and this one is
 * refused, ahead_declined keeps the turn's number: the request sent with it is skipped by its
 * worker, and the turn, if it comes, is requested under another job id (Keys.reissuedTurnJobId).
 * Returns {code, status, turns, chosen}: APPEND_NEXT_LUA's three, and 1 if the choice holds.
 */
export const APPEND_AHEAD_LUA = `
local rec = redis.call('HMGET', KEYS[2], 'status', 'turns', 'next_seq', 'next_agent')
if not rec[1] then return {-1, '', 0, 0} end
local turns = tonumber(rec[2]) or 0
if tonumber(ARGV[4]) > turns + 1 then return {-2, rec[1], turns, 0} end
if rec[3] == ARGV[4] and rec[4] and rec[4] ~= '' and rec[4] ~= ARGV[6] then return {-3, rec[1], turns, 0} end
${NOW_MS}
local code = 1
${TAIL_ADD(4, 12)}
local ok = redis.pcall('XADD', KEYS[1], ARGV[1], 'm', ARGV[2], 't', now)
if type(ok) == 'table' and ok.err then
  code = 0
  ${TAIL_UNDO(4)}
else
  redis.call('HINCRBY', KEYS[2], 'turns', 1)
  redis.call('HINCRBY', KEYS[2], 'tokens_total', tonumber(ARGV[3]))
  ${COUNT_OUTCOME}
end
local a = redis.call('HMGET', KEYS[2], 'turns', 'tokens_total', 'remarks', 'next_seq', 'next_agent', 'next_job', 'ahead_declined')
local nxt = tonumber(ARGV[8])
local ns = tonumber(a[4]) or 0
local chosen = 0
if ns == nxt then
  if a[5] == ARGV[9] and a[6] == 'ahead' then chosen = 1 end
elseif ns < nxt and a[7] ~= ARGV[8] then
  if rec[1] == 'running' and tonumber(a[1]) == tonumber(ARGV[4]) and (tonumber(a[2]) or 0) == tonumber(ARGV[10])
    and (tonumber(a[3]) or 0) == tonumber(ARGV[11]) and redis.call('LLEN', KEYS[3]) == 0 then
    redis.call('HSET', KEYS[2], 'next_choice', ARGV[7], 'next_seq', ARGV[8], 'next_agent', ARGV[9], 'pending_seq', ARGV[8], 'next_job', 'ahead')
    chosen = 1
  else
    redis.call('HSET', KEYS[2], 'ahead_declined', ARGV[8])
  end
end
return {code, rec[1], turns, chosen}`;

/**
 * set the final status once; later calls change nothing. A run that would end "completed" but
 * in which no turn succeeded (ok_turns 0: nothing recorded, or every turn failed, stalled or empty)
 * ends "failed" instead, saying so — runs recorded before ok_turns was kept are left as asked.
 */
export const FINALIZE_LUA = `
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return -1 end
if s == 'completed' or s == 'stopped' or s == 'failed' or s == 'imported' then return 0 end
local status = ARGV[1]
local err = ARGV[3]
if status == 'completed' then
  local c = redis.call('HMGET', KEYS[1], 'ok_turns', 'turns', 'failed_turns', 'stalled_turns', 'remarks', 'history')
  if c[1] and tonumber(c[1]) == 0 then
    status = 'failed'
    -- the agents' turns: a narrator's remarks and a copied history are not turns
    local turns = (tonumber(c[2]) or 0) - (tonumber(c[5]) or 0) - (tonumber(c[6]) or 0)
    local failed = tonumber(c[3]) or 0
    local stalled = tonumber(c[4]) or 0
    local why
    if turns <= 0 then
      why = 'no turn was recorded'
    else
      local parts = {}
      if failed > 0 then table.insert(parts, failed .. ' failed') end
      if stalled > 0 then table.insert(parts, stalled .. ' stalled') end
      local rest = turns - failed - stalled
      if rest > 0 then table.insert(parts, rest .. ' with no reply') end
      why = 'no turn succeeded (' .. turns .. (turns == 1 and ' turn: ' or ' turns: ') .. table.concat(parts, ', ') .. ')'
    end
    if err == '' then err = why .. ' before the run ended (' .. ARGV[2] .. ')' end
  end
end
${NOW_MS}
redis.call('HSET', KEYS[1], 'status', status, 'stop_reason', ARGV[2], 'ended_at', now, 'phase', '', 'pending_seq', '')
if err ~= '' then redis.call('HSET', KEYS[1], 'error', err) end
return 1`;

/**
 * a run no manager has taken up yet (status "pending") that is asked to stop ends at once, stopped:
 * nothing ran, so there is nothing to wait for. 1 stopped now, 0 not pending (a manager has it, or
 * it is final), -1 no record.
 */
export const STOP_PENDING_LUA = `
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return -1 end
if s ~= 'pending' then return 0 end
${NOW_MS}
redis.call('HSET', KEYS[1], 'status', 'stopped', 'stop_reason', ARGV[1], 'ended_at', now, 'phase', '', 'pending_seq', '')
return 1`;

/**
 * a manager moves a run on while it prepares it — to "preparing" a phase (story, personas), then to
 * "running" — only while it is still pending or preparing: a run stopped (or stopping) meanwhile,
 * or begun by another manager, is left as it is. ARGV: field, value pairs. Returns "ok", or the
 * status that kept it ("gone": no record).
 */
export const WHILE_PREPARING_LUA = `
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return 'gone' end
if s ~= 'pending' and s ~= 'preparing' then return s end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 'ok'`;

/** move to "stopping" with a reason unless already stopping or final */
export const STOPPING_LUA = `
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return -1 end
if s == 'completed' or s == 'stopped' or s == 'failed' or s == 'imported' or s == 'stopping' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'stopping', 'stop_reason', ARGV[1])
return 1`;

/**
 * a narrator's remark, the first of the remarks list, becomes the next message: only while it is
 * still first in the list (nobody took it) and its sequence number is turns + 1 (no turn came
 * in between); then it leaves the list. 1 appended, -4 taken already, -2 stale (try again).
 */
export const REMARK_LUA = `
if redis.call('LINDEX', KEYS[3], 0) ~= ARGV[6] then return -4 end
local turns = tonumber(redis.call('HGET', KEYS[2], 'turns')) or 0
if tonumber(ARGV[4]) ~= turns + 1 then return -2 end
${NOW_MS}
local ok = redis.pcall('XADD', KEYS[1], ARGV[1], 'm', ARGV[2], 't', now)
if type(ok) == 'table' and ok.err then return -2 end
redis.call('HINCRBY', KEYS[2], 'turns', 1)
redis.call('HINCRBY', KEYS[2], 'remarks', 1)
redis.call('LPOP', KEYS[3])
return 1`;

/**
 * a live manager renews the lease of a conversation that is not final, and says when it did
 * (renewed_at: the last time a live manager vouched for it); returns its status (or false)
 */
export const RENEW_LUA = `
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return false end
if s == 'completed' or s == 'stopped' or s == 'failed' or s == 'imported' then return s end
${NOW_MS}
redis.call('HSET', KEYS[1], 'lease_until', now + tonumber(ARGV[1]), 'renewed_at', now)
return s`;

/**
 * a live `run --no-spawn` launcher waiting on a conversation that is not final keeps it from being
 * abandoned for ARGV[1] ms more (watched_until), so a manager started by hand can still take it
 * over; returns { status, lease_until } (false: no record; a final one is not touched)
 */
export const WATCH_LUA = `
local r = redis.call('HMGET', KEYS[1], 'status', 'lease_until')
if not r[1] then return false end
local s = r[1]
if s ~= 'completed' and s ~= 'stopped' and s ~= 'failed' and s ~= 'imported' then
  ${NOW_MS}
  redis.call('HSET', KEYS[1], 'watched_until', now + tonumber(ARGV[1]))
end
return { s, r[2] or '' }`;

/**
 * a conversation no manager has renewed in time (lease_until past, or never set), and no live
 * launcher watches (watched_until past, or never set), is finalized: status failed, stop reason
 * "abandoned". Returns 1 if it was, 0 if not (final, leased or watched), -1 if there is no record.
 *
 * Its ended_at is when it last showed life, not when someone noticed (that may be days later): the
 * latest of its last message's recording (the log entry's `t`), its start, and the last time a
 * live manager renewed its lease (renewed_at) — a manager renews every third of a lease, so the
 * processes died within that much after it. lease_until is not used: it is only a promise made at
 * that renewal, and a run is not driven in the lease it was promised after its manager died (it
 * would add up to a whole lease to every abandoned run). A record from before renewed_at was kept
 * falls back to lease_until; never later than now.
 *
 * Not while Redis itself has been up for less than the run's lease (lease_until − renewed_at): a
 * lease that ran out while Redis was down (restarted from its saved data) says nothing about the
 * managers, which renew it the moment Redis answers; a reader that came first would otherwise
 * end a run that goes on.
 */
export const ABANDON_LUA = `
local r = redis.call('HMGET', KEYS[1], 'status', 'lease_until', 'watched_until', 'renewed_at', 'started_at')
if not r[1] then return -1 end
local s = r[1]
if s == 'completed' or s == 'stopped' or s == 'failed' or s == 'imported' then return 0 end
${NOW_MS}
local lease = tonumber(r[2])
if lease and lease > now then return 0 end
local watched = tonumber(r[3])
if watched and watched > now then return 0 end
local renewed = tonumber(r[4])
if lease and renewed and lease > renewed then
  -- INFO may be refused (an ACL): then the lease alone decides, as before
  local info = redis.pcall('INFO', 'server')
  local up = type(info) == 'string' and tonumber(string.match(info, 'uptime_in_seconds:(%d+)')) or nil
  if up and up * 1000 < lease - renewed then return 0 end
end
local last = tonumber(r[4]) or lease or 0
local started = tonumber(r[5])
if started and started > last then last = started end
local tail = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if tail[1] then
  local f = tail[1][2]
  for i = 1, #f, 2 do
    if f[i] == 't' then
      local t = tonumber(f[i + 1])
      if t and t > last then last = t end
    end
  end
end
if last <= 0 or last > now then last = now end
redis.call('HSET', KEYS[1], 'status', 'failed', 'stop_reason', 'abandoned', 'ended_at', last, 'phase', '', 'pending_seq', '',
  'error', ARGV[1])
return 1`;

/**
 * a message copied from another conversation as this one's history (run --continue), before the
 * run starts: appended once, counted in turns (the log's length) and in history, never in tokens
 * or outcomes. 1 appended, 0 already there.
 */
export const HISTORY_LUA = `
local ok = redis.pcall('XADD', KEYS[1], ARGV[1], 'm', ARGV[2], 't', ARGV[3])
if type(ok) == 'table' and ok.err then return 0 end
redis.call('HINCRBY', KEYS[2], 'turns', 1)
redis.call('HINCRBY', KEYS[2], 'history', 1)
return 1`;
