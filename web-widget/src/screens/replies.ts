// The organisation's replies to a receipt, and the follow-up form. Leaving forgets the
// receipt's keys at once; they are never kept beyond this screen.
import { h, PRIVATE_FIELD } from '../dom';
import type { Child } from '../dom';
import type { Widget } from '../state';
import { forget, TipError } from '../tips';
import { heading, limited, TIP_LIMIT } from './common';

export function repliesScreen(w: Widget): Child[] {
  const { state, t } = w;
  const text = h('textarea', { id: 'll-followup', rows: '4', ...PRIVATE_FIELD }) as HTMLTextAreaElement;
  const status = h('p', { role: 'status', class: 'll-hint', id: 'll-followup-status', tabindex: '-1' }, state.notice);
  const limit = limited(w, text, TIP_LIMIT);
  // A follow-up's search belongs to this screen: leaving it (Home) calls it off, as the
  // quick exit does, so no worker goes on searching for a form nobody is on.
  const here = new AbortController();
  state.life.signal.addEventListener('abort', () => here.abort(), { once: true });
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!state.config || !state.keys || !limit.fits()) return;
    if (!text.value.trim()) {
      status.textContent = t('tip_empty');
      return status.focus();
    }
    const button = (e.target as HTMLElement).querySelector('button') as HTMLButtonElement;
    button.disabled = true;
    // The proof-of-work takes seconds on a slow phone: say it is under way, not a dead button.
    status.textContent = t('tip_sending');
    try {
      await w.relay.followUp(state.config.inbox, state.keys, text.value, () => {}, here.signal);
      text.value = '';
      status.textContent = t('followup_sent');
    } catch (e) {
      // 410: the tip was handled and erased; the text stays in the field either way
      status.textContent = t(e instanceof TipError && e.status === 410 ? 'tipclosed_followup' : 'tip_error');
    } finally {
      button.disabled = false;
      // The disabled button dropped the focus: it goes to what happened.
      status.focus();
    }
  };
  const leave = () => {
    here.abort();
    if (state.keys) forget(state.keys);
    state.keys = null;
    state.replies = [];
    w.go('home');
  };
  return [
    heading(t('replies_title')),
    state.replies.length ? h('ol', { class: 'll-log ll-replies' }, ...state.replies.map((r) => h('li', { class: 'll-msg ll-them' }, h('span', { class: 'll-text', dir: 'auto', translate: 'no' }, r)))) : h('p', {}, t('no_replies')),
    h('form', { class: 'll-form', onsubmit: submit }, h('label', { for: 'll-followup' }, t('followup_label')), text, limit.counter, h('button', { type: 'submit', class: 'll-primary' }, t('send'))),
    status,
    h('button', { type: 'button', class: 'll-secondary', onclick: leave }, t('home')),
  ];
}
