//! The Lua scripts that make the Redis tip store's check-then-set steps atomic: who holds a
//! tip (compare and set, so the rule of `Take::decide` is written once, in Rust), the
//! capped list of reply copies, marking a tip handled only while it exists, and forgetting
//! a receipt's lookup only for its own tip.
//!
//! Each touches one key (of one tip, or one receipt's lookup), so it runs on a Cluster too. Must never read or write a
//! key it was not passed, and never decide who may hold a tip (the caller does).

/// Compare and set a tip's holder. KEYS: the tip's record. ARGV: the holder and minute the
/// caller read (`serial:minute`, `:` for none), then the new holder's serial, alias and
/// minute (an empty serial releases it). 1 done, 0 changed meanwhile (read again), -1 no
/// such waiting tip.
pub(super) const HOLD: &str = r#"
if redis.call('HGET', KEYS[1], 'handled') ~= '0' then return -1 end
local held = (redis.call('HGET', KEYS[1], 'holder') or '') .. ':' .. (redis.call('HGET', KEYS[1], 'held_minute') or '')
if held ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], 'holder', 'holder_alias', 'held_minute')
else
  redis.call('HSET', KEYS[1], 'holder', ARGV[2], 'holder_alias', ARGV[3], 'held_minute', ARGV[4])
end
return 1
"#;

/// Capped push of a reply's copy (the first ones are kept, §5). KEYS: the copies list.
/// ARGV: the item, the cap, a TTL in seconds. 1 if kept, 0 if the list is full.
pub(super) const COPY: &str = r#"
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"#;

/// Deletes a receipt's lookup key only if it still names this tip: two tips can share a
/// receipt (two submissions racing past the duplicate check), and the later one answers for
/// it (as in the files backend); removing the earlier must not take it away. KEYS: the lookup
/// key. ARGV: the tip's id (hex). 1 deleted, 0 it names another tip (or none).
pub(super) const FORGET_LOOKUP: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#;

/// Marks a tip handled, erasing its content, follow-ups, copies and holder, only while its
/// record exists: a sweep that deleted the tip a moment before must not see the record come
/// back as a bare `handled` hash with no TTL, kept for ever. KEYS: the tip's record,
/// follow-ups, copies. The minute the tip arrived (for the handled index), nil if it is gone.
pub(super) const HANDLE: &str = r#"
local received = redis.call('HGET', KEYS[1], 'received')
if not received then return false end
redis.call('HSET', KEYS[1], 'handled', '1')
redis.call('HDEL', KEYS[1], 'sealed', 'followup_bytes', 'holder', 'holder_alias', 'held_minute')
redis.call('DEL', KEYS[2], KEYS[3])
return received
"#;
