// The line saying what the server keeps and until when (protocol §9.10), under a
// conversation and on an opened tip: the relay's own values from `authed`, as the terminal
// shows them. With a relay that does not say, nothing is drawn: never an invented value.
import { h, duration } from './dom';
import { Holds } from './api';
import { t } from './strings';

/** Under a conversation: my messages waiting unread, and when the chat is erased; once it is over, that it was. */
export function keepsChat(holds: Holds | null, unread: number, ended = false): HTMLElement | null {
  if (!holds) return null;
  return h('p', { class: 'meta keeps' }, ended ? t('keepsEnded') : t('keepsChat', { n: unread, t: duration(holds.erase_after_idle_s) }));
}

/** On an opened tip: how long it stays sealed on the server. */
export function keepsTip(holds: Holds | null): HTMLElement | null {
  return holds ? h('p', { class: 'meta keeps' }, t('keepsTip', { n: holds.tip_retention_days })) : null;
}
