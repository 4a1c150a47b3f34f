// Tips over HTTP (docs/protocol.md §5, §6, §9.9, §9.10): the public configuration verified
// against the pinned organisation key, tip seeds and filing (a first tip is prepared and
// sealed in tip-work.ts), receipt codes, replies and follow-ups.
// Mirrors src/client/tipster.rs.
import { b64url, equal, fromB64url, fromUtf8, wipe } from './crypto/encoding';
import { CertError, decodeRevocations, ROLE_INBOX, verifyCertificate, RevocationList } from './crypto/certificate';
import { sha256 } from './crypto/primitives';
import { TIP_CONTEXT } from './crypto/proof_of_work';
import { CANCELLED } from './pow-solver';
import { Receipt, ReceiptKeys, deriveReceipt } from './crypto/receipt';
import { openReply, sealFollowup } from './crypto/sealed_tip';
import type { ChatTicket, Solver } from './chat';
import type { TicketSearch } from './chat-presearch';
import { stringMap } from './snippet';
import type { HelpNumber } from './state';

export interface PublicConfig {
  emergency: HelpNumber[];
  tipCategories: string[];
  /** language → category → what the tipster reads; the category sealed stays the canonical one */
  tipCategoryLabels: Record<string, Record<string, string>>;
  neutralUrl: string;
  resumeInSessionStorage: boolean;
  onDuty: number;
  inbox: Uint8Array;
  /** Retired inbox keys (§2.5), verified like `inbox`: to check replies sealed before a rotation, never to seal. */
  previousInboxes: Uint8Array[];
  revocations: RevocationList;
  /** What the server keeps and until when (§9.10); null from a relay too old to say. */
  holds: Holds | null;
  /** A chat ticket (§9.1) and until when (ms) it is used; taken by the first chat. */
  ticket?: ChatTicket & { until: number; /** its search, begun ahead (chat-presearch.ts) */ search?: TicketSearch };
}

export interface Holds {
  eraseAfterIdleS: number;
  tipRetentionDays: number;
  maxWaitingMessages: number;
}

/**
 * The relay takes a seed for 300 s from its issue (§9.9); one asked for more than 240 s ago is
 * not used (a tip's is solved afresh, a ticket left for the socket's challenge, a follow-up
 * sealed anew), so nothing arrives with a dead seed.
 */
export const SEED_USABLE_MS = 240_000;

function ticketOf(t: any): PublicConfig['ticket'] {
  try {
    const session = fromB64url(t.session);
    const seed = fromB64url(t.seed);
    if (session.length === 16 && seed.length === 16 && seed[4] === t.difficulty && t.difficulty <= 28) return { session, seed, difficulty: t.difficulty, until: Date.now() + SEED_USABLE_MS };
  } catch {
    /* an older relay: no ticket */
  }
  return undefined;
}

/** All three counts or none: a partial account would read as a promise the relay never made. */
function holdsOf(x: any): Holds | null {
  const n = (v: unknown) => (Number.isSafeInteger(v) && (v as number) > 0 ? (v as number) : null);
  const [s, d, m] = [n(x?.erase_after_idle_s), n(x?.tip_retention_days), n(x?.max_waiting_messages)];
  return s && d && m ? { eraseAfterIdleS: s, tipRetentionDays: d, maxWaitingMessages: m } : null;
}

/**
 * What the visitor waits on with nothing else to do (the config, opening a code) fails after
 * 20 s, the chat's limit: a stalled line (Tor, a bad mobile network) then shows the numbers
 * and a way back instead of a wait with no end. A race, as Safari 15 lacks AbortSignal.timeout.
 */
const within = <T>(p: Promise<T>, ms = 20_000) => Promise.race([p, new Promise<never>((_, no) => setTimeout(() => no(new Error('timeout')), ms))]);

/**
 * What a tip or follow-up's upload may take: the relay's own body deadline (60 s, a 512 KiB
 * tip at 2G speed takes about 40 s) and its answer. A stalled upload then says "could not be
 * sent", with Back, instead of a full bar for ever; sent again, it goes under the same code
 * and seed, which the relay files once (F-57).
 */
const UPLOAD_MS = 90_000;

export type Fetch = (url: string, init?: { method?: string; body?: string; headers?: Record<string, string> }) => Promise<{ status: number; text(): Promise<string> }>;


export class TipError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The last follow-up while it has no answer: sent again as it was (Relay.followUp). Forgotten
 * with its receipt's keys (leaving the replies, the quick exit, `pagehide`: `forget`).
 */
let unanswered: { keys: ReceiptKeys; text: string; until: number; body: object } | undefined;
/** Keys `forget` wiped: a follow-up whose search ends after its screen was left is not sent. */
const forgotten = new WeakSet<ReceiptKeys>();

export class Relay {
  constructor(
    readonly base: string,
    readonly org: Uint8Array,
    private readonly fetcher: Fetch,
    private readonly solve: Solver,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
    private readonly revocationMaxAge?: number,
  ) {}

  get orgFp(): Uint8Array {
    return sha256(this.org);
  }

  private async json(path: string, body?: unknown): Promise<any> {
    const res = await this.fetcher(this.base + path, body === undefined ? { method: 'GET' } : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const text = await res.text();
    let parsed: any = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    if (res.status !== 200) throw new TipError(res.status, parsed?.error ?? text);
    return parsed;
  }

  /** `/v1/config` is a convenience, not a trust anchor: the key must match the pinned one. */
  async config(): Promise<PublicConfig> {
    const c = await within(this.json('/v1/config'));
    if (c.v !== 1) throw new Error('version');
    if (!equal(fromB64url(c.organisation), this.org)) throw new Error('organisation key does not match the pinned key');
    const now = this.now();
    // No list, no trust: the inbox and every coordinator are checked against it (§2.4).
    if (typeof c.revocations !== 'string' || c.revocations === '') throw new CertError('missing_revocations');
    const revocations = decodeRevocations(fromB64url(c.revocations), this.org, now, this.revocationMaxAge);
    const inbox = verifyCertificate(fromB64url(c.inbox_certificate), this.org, now, revocations, ROLE_INBOX);
    const strings = (a: unknown) => (Array.isArray(a) ? a.filter((x) => typeof x === 'string') : []);
    return {
      emergency: Array.isArray(c.emergency) ? c.emergency.filter((e: any) => typeof e?.label === 'string' && typeof e?.number === 'string').map((e: any) => ({ label: e.label, number: e.number, labels: stringMap(e.labels) })) : [],
      tipCategories: strings(c.tip_categories),
      tipCategoryLabels: Object.fromEntries(Object.entries(objectOr(c.tip_category_labels)).map(([lang, m]) => [lang, stringMap(m)])),
      neutralUrl: typeof c.neutral_url === 'string' ? c.neutral_url : '',
      resumeInSessionStorage: c.resume_in_session_storage === true,
      onDuty: Number.isSafeInteger(c.on_duty) ? c.on_duty : 0,
      inbox: inbox.x25519,
      // One that fails is left out: replies it sealed stay unread, nothing else is lost.
      previousInboxes: (Array.isArray(c.previous_inbox_certificates) ? c.previous_inbox_certificates : []).flatMap((b: string) => {
        try {
          return [verifyCertificate(fromB64url(b), this.org, now, revocations, ROLE_INBOX).x25519];
        } catch {
          return [];
        }
      }),
      revocations,
      holds: holdsOf(c.holds),
      ticket: ticketOf(c.chat_ticket),
    };
  }

  /** A tip seed from the relay, solved; `signal` calls the search off. */
  async proofOfWork(progress: (p: number) => void, signal?: AbortSignal): Promise<{ seed: string; nonce: number }> {
    const p = await within(this.json('/v1/pow'));
    // Called off while the seed was on its way: no search starts.
    if (signal?.aborted) throw new Error(CANCELLED);
    const seed = fromB64url(p.seed);
    if (seed.length !== 16 || typeof p.difficulty !== 'number' || p.difficulty > 28) throw new Error('pow');
    const nonce = await this.solve(seed, TIP_CONTEXT, p.difficulty, progress, signal);
    return { seed: p.seed, nonce };
  }

  /** Files a first tip (sealed by tip-work.ts) under its lookup id. */
  async fileTip(pow: { seed: string; nonce: number }, lookup: Uint8Array, sealed: Uint8Array): Promise<void> {
    await within(this.json('/v1/tips', { v: 1, seed: pow.seed, nonce: pow.nonce, lookup: b64url(lookup), sealed: b64url(sealed) }), UPLOAD_MS);
  }

  /** Derives the keys of a typed receipt (slow on purpose). */
  derive(receipt: Receipt): Promise<ReceiptKeys> {
    return deriveReceipt(receipt, this.orgFp);
  }

  /** Replies sealed by one of `inboxes` (current first) to this receipt, oldest first; null if none filed here. */
  async replies(inboxes: Uint8Array[], keys: ReceiptKeys): Promise<string[] | null> {
    try {
      const r = await within(this.json('/v1/receipt', { v: 1, lookup: b64url(keys.lookupId) }));
      const out: string[] = [];
      // A reply names no inbox key (its HPKE info binds one): each verified key is tried.
      for (const s of r.replies ?? []) {
        for (const inbox of inboxes) {
          try {
            out.push(openReply(this.orgFp, inbox, keys.tipsterSecret, fromB64url(s)).text);
            break;
          } catch {
            /* not from this inbox key; from none: ignored, never shown */
          }
        }
      }
      return out;
    } catch (e) {
      if (e instanceof TipError && e.status === 404) return null;
      throw e;
    }
  }

  /**
   * `life` aborted (the quick exit, the page left): the search stops and nothing is sent, even
   * a search already done (the keys are wiped by then). A follow-up that got no answer (the
   * line dropped) is sent again as it was, its seed included, when the same words go to the
   * same code within the seed's life: the relay then files it once (§9.9, F-57).
   */
  async followUp(inbox: Uint8Array, keys: ReceiptKeys, text: string, progress: (p: number) => void, life?: AbortSignal): Promise<void> {
    let sending = unanswered;
    if (sending?.keys !== keys || sending.text !== text || Date.now() > sending.until) {
      // The seed is asked for now: the follow-up may be sent again as it is until then.
      const until = Date.now() + SEED_USABLE_MS;
      const sealed = sealFollowup(this.orgFp, inbox, keys.tipsterSecret, { text });
      const { seed, nonce } = await this.proofOfWork(progress, life);
      if (life?.aborted || forgotten.has(keys)) throw new Error(CANCELLED);
      sending = { keys, text, until, body: { v: 1, seed, nonce, lookup: b64url(keys.lookupId), sealed: b64url(sealed) } };
    }
    unanswered = sending;
    try {
      await within(this.json('/v1/receipt/followup', sending.body), UPLOAD_MS);
      unanswered = undefined;
    } catch (e) {
      // The relay's refusal says where it stands: the next send starts afresh. A 5xx may be
      // a proxy's page for an answer lost on the way: the body is kept.
      if (e instanceof TipError && e.status < 500) unanswered = undefined;
      throw e;
    }
  }
}

function objectOr(x: unknown): object {
  return x && typeof x === 'object' && !Array.isArray(x) ? x : {};
}

export function forget(keys: ReceiptKeys): void {
  wipe(keys.master, keys.tipsterSecret, keys.lookupId);
  forgotten.add(keys);
  if (unanswered?.keys === keys) unanswered = undefined;
}

export { fromUtf8 };
