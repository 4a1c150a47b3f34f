// "What the server keeps" (issue 19 item 4, docs/protocol.md §9.10): a closed panel on the
// chat and tip screens whose numbers come only from the relay's verified `/v1/config`. It
// must never show a number of its own: with no account from the relay it shows nothing.
import { h } from '../dom';
import type { Widget } from '../state';

export function holdsPanel(w: Widget, what: 'chat' | 'tip'): HTMLElement | null {
  const config = w.state.config;
  if (!config?.holds) return null;
  const holds = config.holds;
  const { t } = w;
  const kept =
    what === 'chat'
      ? // Rounded up: the visitor is never told the conversation lives shorter than it does.
        t('holds_chat', { n: holds.maxWaitingMessages, m: Math.ceil(holds.eraseAfterIdleS / 60) })
      : t('holds_tip', { d: holds.tipRetentionDays });
  // A chat may keep its resume token in the tab's storage (config): then the device keeps something.
  const device = what === 'tip' || !config.resumeInSessionStorage;
  return h('details', { class: 'll-holds' }, h('summary', {}, t('holds_title')), h('p', {}, kept), device ? h('p', {}, t('holds_device')) : null);
}
