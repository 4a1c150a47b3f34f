// The desk's side of the JSON API (`docs/desk-api.md`): the shapes the process sends, and
// one socket to it. The page holds no key and does no crypto: it shows and asks.

export type Id = string;
export type Target = { conversation: Id } | { tip: Id };

export interface Line { who: 'visitor' | 'me' | 'system'; text: string; note: unknown; mark: 'pending' | 'sent' | 'undelivered' | 'delivered' | 'not_sent' }
export interface Conversation {
  session: Id; number: number; kind: string; lang: string | null; open_s: number; transferred_from: string | null;
  unread: number; kept_unread: number; draft: string; handover_note: string; state: string; writable: unknown; transferable: unknown; lines: Line[];
}
export interface QueueRow { session: Id; waited_s: number; kind: string; lang: string | null }
export interface Colleague { serial: number; alias: string; load: number; capacity: number }
export interface Resource { title: string; text: string; lang: string; category: string; region: string }
export type Holder = 'nobody' | 'me' | { colleague: string };
export interface TipSummary { id: Id; received: number; followups: number; replies: number; holder: Holder }
export interface Reply { by: string | null; filed: number | null; text: string | null }
export interface OpenedTip { id: Id; category: string | null; text: string; sealed_by_relay: boolean; holder: Holder; followups: (string | null)[]; replies: Reply[]; replyable: unknown; draft: string }
export interface Holds { erase_after_idle_s: number; tip_retention_days: number; max_waiting_messages: number }
export interface State {
  type: 'state'; alias: string; serial: number; not_after: number; on_duty: boolean; connected: boolean; capacity: number; held: number;
  inbox: boolean; screen: 'chats' | 'tips'; selected: { queue: Id } | { conversation: Id } | null; queue: QueueRow[];
  conversations: Conversation[]; colleagues: Colleague[]; resources: Resource[]; tips: TipSummary[]; opened_tip: OpenedTip | null; status: unknown;
  fingerprint: string | null; renew_days: number | null; holds: Holds | null;
}
export type FromDesk =
  | { type: 'starting'; keys: 'identity' | 'development'; inbox_sealed: boolean; error: unknown; retry_in: number }
  | { type: 'locked'; failed: boolean; retry_in: number }
  | State
  | { type: 'bell' }
  | { type: 'ended'; why?: 'signed_in_elsewhere' };

let socket: WebSocket | null = null;

/** Opens the one socket to the desk process; `onMessage` gets every message, `onClose` its end. */
export function connect(onMessage: (m: FromDesk) => void, onClose: () => void): void {
  socket = new WebSocket(`ws://${location.host}/ws`);
  socket.addEventListener('message', (e) => {
    try {
      onMessage(JSON.parse(String(e.data)) as FromDesk);
    } catch {
      /* a malformed message is dropped */
    }
  });
  socket.addEventListener('close', onClose);
}

/** Sends one request to the desk process. */
export function ask(message: Record<string, unknown>): void {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}
