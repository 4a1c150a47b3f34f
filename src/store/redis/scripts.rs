//! The Lua scripts that make the Redis store's check-then-set steps atomic on the server
//! (claim, requeue, hold and resume, capped insert, pull, touch; the per-message append and
//! acknowledgement are in `message_path.rs`).
//!
//! Each touches the keys of one session (or one index) only, so it runs on a Cluster too.
//! Must never read or write a key it was not passed.

/// Writes where the new holder is connected, in the step that makes them the holder, so no
/// path can forget it (the visitor's wakes go there: `message_path.rs`). The holder's node
/// key is the script's last key; ARGV[2] is the node ('' if unknown: the key goes, and the
/// relay wakes its way), ARGV[3] the key's end (Unix seconds, a whole minute: `deadline`).
macro_rules! holder_node_lua {
    () => {
        r#"
local function holder_node()
  if ARGV[2] == '' then redis.call('DEL', KEYS[#KEYS])
  else redis.call('SET', KEYS[#KEYS], ARGV[2], 'EXAT', ARGV[3]) end
end
"#
    };
}

/// Atomic claim: the owner key goes from "q" (queued) to the coordinator's serial, once,
/// and the session's claim count (`claims` in the visitor-bound direction's hash) goes up:
/// the generation check's evidence that Redis kept the claim (`witness.rs`).
/// KEYS: owner, the visitor-bound direction's hash, holder's node. ARGV: serial, node, TTL.
/// Returns 0 if lost, else the claim count (-1 without the hash: nothing to count).
pub(super) const CLAIM: &str = concat!(
    holder_node_lua!(),
    r#"
if redis.call('GET', KEYS[1]) == 'q' then
  redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
  holder_node()
  if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
  return redis.call('HINCRBY', KEYS[2], 'claims', 1)
end
return 0
"#
);

/// Marks a session ended, in the step that reads who held it (§9.7): a resume read after
/// this finds the mark (`ended` in the visitor-bound direction's hash) and is refused,
/// although erasing the session takes a moment more. KEYS: owner, that hash. Returns the
/// owner, or '' if the session is gone or already ended (someone else is ending it).
pub(super) const END: &str = r#"
local owner = redis.call('GET', KEYS[1])
if not owner or redis.call('EXISTS', KEYS[2]) == 0 then return '' end
if redis.call('HGET', KEYS[2], 'ended') == '1' then return '' end
redis.call('HSET', KEYS[2], 'ended', 1)
return owner
"#;

/// A hand-over (transfer): the owner key of a live session becomes the colleague's serial,
/// whatever it was, and the claim count goes up as for a claim (a hand-over just before a
/// rewind is evidence too: `witness.rs`). KEYS: record, owner, the visitor-bound
/// direction's hash, holder's node. ARGV: serial, node, TTL. 0 if the session is gone
/// (nothing is re-created without a TTL) or ended (`END`: it is being erased, and nothing
/// of it is anyone's to take over, as in the memory store), else the claim count (-1
/// without the hash).
pub(super) const ASSIGN: &str = concat!(
    holder_node_lua!(),
    r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[3], 'ended') == '1' then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'KEEPTTL')
holder_node()
if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
return redis.call('HINCRBY', KEYS[3], 'claims', 1)
"#
);

/// Atomic hold for a dropped coordinator (§9.6): KEYS: owner, grace. ARGV: serial, grace
/// seconds. The owner goes from the serial to 'h' .. serial, and the grace key times it.
pub(super) const HOLD: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], 'h' .. ARGV[1], 'KEEPTTL')
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
  return 1
end
return 0
"#;

/// Atomic resume of a held session: KEYS: owner, grace, holder's node. ARGV: serial, node,
/// TTL. 1 if the session is the serial's now (held for it, or still claimed by it: either
/// way they may be back through another node), else 0.
pub(super) const REATTACH: &str = concat!(
    holder_node_lua!(),
    r#"
local owner = redis.call('GET', KEYS[1])
if owner == 'h' .. ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
  redis.call('DEL', KEYS[2])
elseif owner ~= ARGV[1] then
  return 0
end
holder_node()
return 1
"#
);

/// Atomic capped insert into an index (the queue, the tips): KEYS: the sorted set. ARGV:
/// the cap, the member, its score, the index's end (Unix seconds on a whole minute, 0: none).
/// 1 if added, 0 if full.
/// One key, so it runs as well on a Cluster.
pub const ADMIT: &str = r#"
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
if tonumber(ARGV[4]) > 0 then redis.call('EXPIREAT', KEYS[1], ARGV[4]) end
return 1
"#;

/// Atomic conditional requeue: the owner key goes from ARGV[1] (a holder's serial, or 'h'
/// and the serial it is held for) back to "q", and a hold's grace key goes. KEYS: owner,
/// grace.
pub(super) const RELEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], 'q', 'KEEPTTL')
  redis.call('DEL', KEYS[2])
  return 1
end
return 0
"#;

/// The frames after ARGV[1], without the ones before: a buffer's frames are numbered one
/// after another from its head (appends are in order, acks pop the head, a discard empties
/// it), so they start at (after + 1 - head). KEYS: the direction's hash, buffer.
pub(super) const PENDING: &str = r#"
local head = tonumber(redis.call('HGET', KEYS[1], 'head') or '0')
local start = 0
if head > 0 then start = math.max(tonumber(ARGV[1]) + 1 - head, 0) end
return redis.call('LRANGE', KEYS[2], start, -1)
"#;

/// Empties a live session's buffer in one direction: KEYS: record, the direction's hash,
/// buffer. 1 if done, 0 if the session is gone (nothing is re-created without a TTL).
pub(super) const DISCARD: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[2], 'bytes', 0)
redis.call('HDEL', KEYS[2], 'head')
return 1
"#;

// KEYS[1] is the record, KEYS[2] the activity key, then every key of the session but the
// hold's grace key (it ends with the grace, not with the session). Checked
// and written in one step, so a touch racing a removal cannot re-create the activity key.
pub(super) const TOUCH: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'EXAT', ARGV[2])
for i = 3, #KEYS do redis.call('EXPIREAT', KEYS[i], ARGV[2]) end
return 1
"#;

/// Atomic capped follow-up (F-7): KEYS: a tip's record hash, its follow-up list (one hash
/// tag). ARGV: the follow-up, its length, the most follow-ups, the most bytes of them, the
/// list's end (Unix seconds, a whole minute). 'none' if the tip is gone, 'closed' if it was handled (§9.9: a
/// handled tip takes no follow-up), 'full' at either cap, else 'added'.
pub const FOLLOWUP: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 'none' end
if redis.call('HGET', KEYS[1], 'handled') == '1' then return 'closed' end
if redis.call('LLEN', KEYS[2]) >= tonumber(ARGV[3]) then return 'full' end
local bytes = tonumber(redis.call('HGET', KEYS[1], 'followup_bytes') or '0')
if bytes + tonumber(ARGV[2]) > tonumber(ARGV[4]) then return 'full' end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('EXPIREAT', KEYS[2], ARGV[5])
redis.call('HINCRBY', KEYS[1], 'followup_bytes', ARGV[2])
return 'added'
"#;

/// Sets one key of a live session, keeping its TTL, and deletes others: KEYS[1] is the
/// session record, KEYS[2] the key to set, KEYS[3..] keys to delete; ARGV[1] the value.
/// Checked in the same step, so a write racing the session's removal cannot bring back a
/// key with no expiry (the class of F-4). 1 if written, 0 if the session is gone.
pub(super) const SET_IF_LIVE: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'KEEPTTL')
for i = 3, #KEYS do redis.call('DEL', KEYS[i]) end
return 1
"#;

/// Records the visitor's node, only while the session lives: checked in the same step, so
/// a resume racing the session's end cannot re-create the key after the erasure (F-4's
/// class). KEYS: record, the visitor's node key. ARGV: node, the key's end (Unix seconds). The node
/// named before ('' if none), or false (nil) if the session is gone.
pub(super) const VISITOR_NODE: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('SET', KEYS[2], ARGV[1], 'EXAT', ARGV[2], 'GET') or ''
"#;
