//! The Lua scripts that make the Redis tip store's check-then-set steps atomic: who holds a
//! tip (compare and set, so the rule of `Take::decide` is written once, in Rust), the
//! capped list of reply copies, marking a tip handled only while it exists, and filing and
//! forgetting the tips under a receipt's lookup (removing one gives the receipt back to the
//! one filed before it).
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

/// Capped push of a reply's copy (the first ones are kept, §5). KEYS: the tip's record, its
/// copies list. ARGV: the item, the cap, the list's end (Unix seconds, a whole minute). 1 if
/// kept, 0 if the list is full or the tip is gone or handled: read in the same step as the
/// push, so a copy racing the tip's handling never re-creates the list handling erased.
pub(super) const COPY: &str = r#"
local handled = redis.call('HGET', KEYS[1], 'handled')
if handled == false or handled == '1' then return 0 end
if redis.call('LLEN', KEYS[2]) >= tonumber(ARGV[2]) then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('EXPIREAT', KEYS[2], ARGV[3])
return 1
"#;

/// Files or forgets one tip under a receipt's lookup key. Two tips can share a receipt (two
/// submissions racing past the duplicate check), so the key holds every tip filed under it,
/// oldest first, as `<id>@<minute its retention ends>` separated by spaces; the last one
/// answers for the receipt (as in the files backend). Forgetting a tip takes out its entry
/// only: removing the later one gives the receipt back to the earlier, removing the earlier
/// leaves it to the later, removing the last deletes the key. The key lives as long as the
/// entry that ends last (any of them may answer again), counted from the relay's minute
/// (tests advance the relay's clock), and ends on a whole minute of Redis's (`deadline`). An
/// entry without `@` (written by an older node) keeps the key's end. KEYS: the lookup key.
/// ARGV: the tip id (hex) to take out, the entry to add ('' for none), the relay's minute
/// now, Redis's time now on a whole minute. How many tips the key names after.
pub(super) const RECEIPT: &str = r#"
local kept = {}
local value = redis.call('GET', KEYS[1])
if value then
  for entry in string.gmatch(value, '%S+') do
    if string.match(entry, '^[^@]*') ~= ARGV[1] then table.insert(kept, entry) end
  end
end
if ARGV[2] ~= '' then table.insert(kept, ARGV[2]) end
if #kept == 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
local now = tonumber(ARGV[4])
local ends_at = now + 60
for _, entry in ipairs(kept) do
  local ends = tonumber(string.match(entry, '@(%d+)$'))
  if ends then
    ends_at = math.max(ends_at, now + (ends - tonumber(ARGV[3])) * 60)
  else
    local kept_until = redis.call('EXPIRETIME', KEYS[1])
    if kept_until > 0 then ends_at = math.max(ends_at, math.ceil(kept_until / 60) * 60) end
  end
end
redis.call('SET', KEYS[1], table.concat(kept, ' '), 'EXAT', ends_at)
return #kept
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
