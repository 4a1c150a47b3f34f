//! The per-message path on Redis: a relayed frame is stored and its receiver's node woken in
//! one script call (one round trip), and an acknowledgement trims the buffer and tells the
//! sender's node in one more. The wake goes only to the node holding the peer, on that
//! node's wake channel (`ll:wake:<node>`), never to every node.
//!
//! A wake carries the session id, the holder's serial and, for a `delivered` mark, a
//! sequence number: routing state only. Must never carry a frame, an address or anything
//! about a visitor but a session id.

use super::connection::unavailable;
use super::keys::{Keys, way_index};
use super::{RedisStore, owner_of};
use crate::crypto::keys::hex;
use crate::protocol::b64;
use crate::store::chat::{
    Acked, Append, Assignment, BufferLimits, Relayed, SessionId, StoreError, StoredFrame, Way,
};

/// Store a frame if the session is live (and held by `ARGV[6]` when it is not empty), then
/// wake the peer's node; a duplicate wakes it too (a resend after a store write that timed
/// out on the relay's side but ran: the first wake was never sent).
/// KEYS: owner, the direction's hash (`next`, `bytes`, `head`), buffer, the peer's node key.
/// ARGV: seq, frame, body length, max frames, max bytes, required owner ('' for any), this
/// node ('' to wake no one), the wake's text without the owner.
/// Returns {outcome, owner, woken}: outcome 'ok', 'dup', 'full', 'gap:<next>', 'gone' (no
/// session) or 'other' (held by another); woken the peer's node if a wake was published to
/// it, else '' (the peer is here, nowhere, or unknown: the relay wakes it its own way).
/// Six commands for a stored frame (seven when the buffer was empty), one key per number no
/// more: redis-server's CPU per message is what issue 20 measures.
pub(super) const RELAY: &str = r#"
local owner = redis.call('GET', KEYS[1])
if not owner then return {'gone', '', ''} end
if ARGV[6] ~= '' and owner ~= ARGV[6] then return {'other', owner, ''} end
local state = redis.call('HMGET', KEYS[2], 'next', 'bytes')
-- No hash: filed before it existed (a rolling upgrade); never re-created here without a TTL.
if not state[1] then return {'gone', '', ''} end
local next = tonumber(state[1])
local seq = tonumber(ARGV[1])
if seq > next then return {'gap:' .. next, owner, ''} end
local outcome = 'dup'
if seq == next then
  local count = redis.call('LLEN', KEYS[3])
  local bytes = tonumber(state[2] or '0')
  if count >= tonumber(ARGV[4]) or bytes + tonumber(ARGV[3]) > tonumber(ARGV[5]) then
    return {'full', owner, ''}
  end
  redis.call('RPUSH', KEYS[3], ARGV[2])
  if count == 0 then
    redis.call('HSET', KEYS[2], 'next', next + 1, 'bytes', bytes + tonumber(ARGV[3]), 'head', seq)
    -- A new list: it ends when the session's other keys do (a whole minute: `deadline`).
    local ends = redis.call('EXPIRETIME', KEYS[2])
    if ends > 0 then redis.call('EXPIREAT', KEYS[3], ends) end
  else
    redis.call('HSET', KEYS[2], 'next', next + 1, 'bytes', bytes + tonumber(ARGV[3]))
  end
  outcome = 'ok'
end
if owner == 'q' then return {outcome, owner, ''} end
local peer = redis.call('GET', KEYS[4])
if not peer or peer == ARGV[7] or ARGV[7] == '' then return {outcome, owner, ''} end
redis.call('PUBLISH', 'll:wake:' .. peer, ARGV[8] .. owner)
return {outcome, owner, peer}
"#;

/// Cumulative acknowledgement, then a `delivered` mark to the sender's node. The buffer's
/// frames are numbered one after another from `head` (appends are in order, acks pop the
/// head, a discard empties it), so the acknowledged ones are its first `acked - head + 1`.
/// KEYS: the direction's hash, buffer, owner, the peer's node key.
/// ARGV: seq, required owner ('' for any), this node ('' to tell no one), the mark's text
/// without the owner and the acknowledged sequence number.
/// Returns {acked, owner, woken} (woken as above); acked -1 if the session is gone or held
/// by another.
pub(super) const ACK_NOTIFY: &str = r#"
local owner = redis.call('GET', KEYS[3])
if not owner then return {-1, '', ''} end
if ARGV[2] ~= '' and owner ~= ARGV[2] then return {-1, owner, ''} end
local state = redis.call('HMGET', KEYS[1], 'next', 'acked', 'bytes', 'head')
if not state[1] then return {-1, '', ''} end
local next = tonumber(state[1])
local acked = tonumber(state[2] or '0')
local seq = math.min(tonumber(ARGV[1]), next - 1)
if seq > acked then
  acked = seq
  local bytes = tonumber(state[3] or '0')
  local head = tonumber(state[4] or '0')
  if head > 0 and head <= acked then
    local popped = redis.call('LPOP', KEYS[2], acked - head + 1)
    if popped then
      for _, frame in ipairs(popped) do
        bytes = bytes - tonumber(string.match(frame, '"len":(%d+)') or '0')
      end
    end
    head = acked + 1
  end
  redis.call('HSET', KEYS[1], 'acked', acked, 'bytes', math.max(bytes, 0), 'head', head)
end
if owner == 'q' then return {acked, owner, ''} end
local peer = redis.call('GET', KEYS[4])
if not peer or peer == ARGV[3] or ARGV[3] == '' then return {acked, owner, ''} end
redis.call('PUBLISH', 'll:wake:' .. peer, ARGV[4] .. owner .. ' ' .. acked)
return {acked, owner, peer}
"#;

/// The wake's text up to the holder's serial: `<from node> <what> <session> `.
fn wake_prefix(node: &str, what: &str, id: &SessionId) -> String {
    format!("{node} {what} {} ", hex(&id.0))
}

/// The key naming the node of the side that receives what travels `way`.
fn peer_node_key(keys: &Keys, way: Way) -> &str {
    match way {
        Way::ToCoordinator => &keys.holder_node,
        Way::ToVisitor => &keys.node,
    }
}

/// What both scripts answer: `{outcome, owner, woken}`.
struct Reply<T> {
    outcome: T,
    holder: Option<Assignment>,
    woke_node: Option<String>,
}

/// Runs one of the scripts above and reads its `{outcome, owner, woken}`: the owner as the
/// store writes it ('' if the session is gone), woken empty when no wake was published.
async fn run<T: redis::FromRedisValue>(
    store: &RedisStore,
    script: &redis::ScriptInvocation<'_>,
) -> Result<Reply<T>, StoreError> {
    let (outcome, owner, woken): (T, String, String) = script
        .invoke_async(&mut store.con())
        .await
        .map_err(unavailable)?;
    Ok(Reply {
        outcome,
        holder: owner_of(&owner),
        woke_node: Some(woken).filter(|n| !n.is_empty()),
    })
}

impl RedisStore {
    /// Stores `frame` travelling `way` and wakes the receiver's node, in one round trip.
    /// `held_by`: the frame is the holder's and must be refused if another holds it now.
    pub async fn relay_frame(
        &self,
        id: &SessionId,
        way: Way,
        frame: StoredFrame,
        limits: BufferLimits,
        held_by: Option<u64>,
        node: &str,
    ) -> Result<Relayed, StoreError> {
        let keys = Keys::of(id);
        let i = way_index(way);
        let len = frame.body.len();
        // The JSON serde would read, `len` first: the ack script reads it back by pattern
        // from every frame it pops, and Lua's matcher scans from the start (after the 1.4 KB
        // body, that scan was a quarter of redis-server's time per message: docs/benchmarks.md).
        let record = format!(
            "{{\"len\":{len},\"seq\":{},\"kind\":{},\"body\":\"{}\"}}",
            frame.seq,
            serde_json::to_string(&frame.kind).map_err(|_| super::corrupt("frame"))?,
            b64::encode(&frame.body),
        );
        let what = match way {
            Way::ToCoordinator => "c",
            Way::ToVisitor => "v",
        };
        let mut script = self.relay.key(&keys.owner);
        script
            .key(&keys.way[i])
            .key(&keys.buffer[i])
            .key(peer_node_key(&keys, way))
            .arg(frame.seq)
            .arg(record)
            .arg(len)
            .arg(limits.max_frames)
            .arg(limits.max_bytes)
            .arg(held_by.map(|s| s.to_string()).unwrap_or_default())
            .arg(node)
            .arg(wake_prefix(node, what, id));
        let reply: Reply<String> = run(self, &script).await?;
        if reply.outcome == "ok" || reply.outcome == "dup" {
            // Evidence for the next generation check: Redis said it keeps this.
            self.generation.confirmed(id, way, frame.seq);
        }
        let append = match reply.outcome.as_str() {
            "ok" => Some(Append::Stored),
            "dup" => Some(Append::Duplicate),
            "full" => Some(Append::Full),
            "gone" | "other" => None,
            gap => Some(Append::Gap {
                expected: gap
                    .trim_start_matches("gap:")
                    .parse()
                    .map_err(|_| super::corrupt("append result"))?,
            }),
        };
        Ok(Relayed {
            append,
            holder: reply.holder,
            woke_node: reply.woke_node,
        })
    }

    /// Acknowledges frames travelling `way` up to `seq` and tells the sender's node, in one
    /// round trip. `held_by`: the acknowledgement is the holder's (refused from another).
    pub async fn ack_and_notify(
        &self,
        id: &SessionId,
        way: Way,
        seq: u64,
        held_by: Option<u64>,
        node: &str,
    ) -> Result<Acked, StoreError> {
        let keys = Keys::of(id);
        let i = way_index(way);
        // The sender is the other side: a visitor's ack is news for the coordinator.
        let (what, sender_node) = match way {
            Way::ToVisitor => ("dc", &keys.holder_node),
            Way::ToCoordinator => ("dv", &keys.node),
        };
        let mut script = self.ack_notify.key(&keys.way[i]);
        script
            .key(&keys.buffer[i])
            .key(&keys.owner)
            .key(sender_node)
            .arg(seq)
            .arg(held_by.map(|s| s.to_string()).unwrap_or_default())
            .arg(node)
            .arg(wake_prefix(node, what, id));
        let reply: Reply<i64> = run(self, &script).await?;
        Ok(Acked {
            acked: u64::try_from(reply.outcome).ok(),
            holder: reply.holder,
            woke_node: reply.woke_node,
        })
    }
}
