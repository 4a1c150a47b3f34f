// Sealed tips, follow-ups and replies (docs/protocol.md §5). Mirrors src/crypto/sealed_tip.rs.
// A reply is only ever opened in Auth mode under the inbox key, never trusted otherwise.
import { Reader, checkDisplayText, concat, fromUtf8, labelled, utf8 } from './encoding';
import { FOLLOWUP_LABEL, REPLY_LABEL, TIP_LABEL } from './labels';
import { sha256 } from './primitives';
import { TIP_BUCKETS, pad, unpad } from './padding';
import { open, seal } from './hpke';

export { FOLLOWUP_LABEL, REPLY_LABEL, TIP_LABEL };

export interface TipMessage {
  replyKey?: Uint8Array;
  category?: string;
  text: string;
}

export function tipInfo(label: string, orgFp: Uint8Array, inboxPublic: Uint8Array): Uint8Array {
  return labelled(label, orgFp, sha256(inboxPublic));
}

export function encodeTip(m: TipMessage): Uint8Array {
  const category = m.category ? utf8(m.category) : new Uint8Array(0);
  if (m.category && !checkDisplayText(m.category)) throw new Error('category');
  const body = concat(
    new Uint8Array([1, m.replyKey ? 1 : 0]),
    m.replyKey ?? new Uint8Array(0),
    new Uint8Array([category.length]),
    category,
    utf8(m.text),
  );
  const padded = pad(1, body, TIP_BUCKETS);
  if (!padded) throw new Error('tip too long');
  return padded;
}

export function decodeTip(padded: Uint8Array): TipMessage {
  const { kind, content } = unpad(padded, TIP_BUCKETS);
  if (kind !== 1) throw new Error('kind');
  const r = new Reader(content);
  if (r.u8() !== 1) throw new Error('version');
  const flag = r.u8();
  if (flag > 1) throw new Error('key flag');
  const replyKey = flag === 1 ? r.take(32).slice() : undefined;
  const category = fromUtf8(r.take(r.u8()));
  const text = fromUtf8(r.take(r.remaining()));
  const out: TipMessage = { text };
  if (replyKey) out.replyKey = replyKey;
  if (category) out.category = category;
  return out;
}

export function sealTip(orgFp: Uint8Array, inbox: Uint8Array, m: TipMessage, ikmE?: Uint8Array): Uint8Array {
  return seal(inbox, tipInfo(TIP_LABEL, orgFp, inbox), new Uint8Array(0), encodeTip(m), undefined, ikmE);
}

export function sealFollowup(orgFp: Uint8Array, inbox: Uint8Array, tipster: Uint8Array, m: TipMessage, ikmE?: Uint8Array): Uint8Array {
  return seal(inbox, tipInfo(FOLLOWUP_LABEL, orgFp, inbox), new Uint8Array(0), encodeTip(m), tipster, ikmE);
}

export function openReply(orgFp: Uint8Array, inbox: Uint8Array, tipster: Uint8Array, sealed: Uint8Array): TipMessage {
  return decodeTip(open(tipster, tipInfo(REPLY_LABEL, orgFp, inbox), new Uint8Array(0), sealed, inbox));
}

/** Used by tests to check the vectors from the inbox's side. */
export function openAsInbox(orgFp: Uint8Array, inboxSecret: Uint8Array, inboxPublic: Uint8Array, label: string, sealed: Uint8Array, sender?: Uint8Array): TipMessage {
  return decodeTip(open(inboxSecret, tipInfo(label, orgFp, inboxPublic), new Uint8Array(0), sealed, sender));
}
