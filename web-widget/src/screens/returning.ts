// A returning tipster types their receipt code: typos are caught before the slow key
// stretching, and a code unknown here says so without telling anything else. The typed code
// is never kept after its keys are derived.
import { isReceipt, Receipt } from '../crypto/receipt';
import type { ReceiptKeys } from '../crypto/receipt';
import { h, PRIVATE_FIELD } from '../dom';
import type { Child } from '../dom';
import type { Widget } from '../state';
import { forget } from '../tips';
import { backButton, heading } from './common';
import { progressScreen } from './tip';

/** Counts the visitor's tries at opening a code: only the latest may act. */
let opening = 0;

/** Opening a code: its own words, and Back to the code's form (the request is then ignored). */
export function openingScreen(w: Widget): Child[] {
  return [...progressScreen(w, 'checking'), backButton(w, 'return')];
}

export function returnScreen(w: Widget): Child[] {
  const { state, t } = w;
  // A refused code marks the field invalid and ties the reason to it.
  const invalid = state.notice ? { 'aria-invalid': 'true', 'aria-describedby': 'll-receipt-error ll-receipt-help' } : { 'aria-describedby': 'll-receipt-help' };
  const input = h('input', { id: 'll-receipt', type: 'text', ...PRIVATE_FIELD, ...invalid }) as HTMLInputElement;
  // After the slow check the field is gone from view: the error takes the focus.
  const failed = (notice: string) => {
    w.go('return');
    state.notice = notice;
    w.render();
    (w.panel.querySelector('#ll-receipt-error') as HTMLElement | null)?.focus();
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const config = state.config;
    const parsed = Receipt.parse(input.value);
    if (!isReceipt(parsed)) {
      state.notice = parsed.kind === 'length' ? t('err_length', { n: parsed.count }) : parsed.kind === 'character' ? t('err_character', { n: parsed.position }) : t('err_check');
      w.render();
      (w.panel.querySelector('#ll-receipt') as HTMLInputElement | null)?.focus();
      return;
    }
    if (!config) return;
    const mine = ++opening;
    // Left (Back, a newer try, the quick exit: it drops the config): nothing more is sent or shown.
    const current = () => mine === opening && state.screen === 'opening' && state.config === config;
    state.progress = 0;
    w.go('opening');
    let keys: ReceiptKeys | null = null;
    try {
      keys = await w.relay.derive(parsed);
      if (!current()) return;
      const replies = await w.relay.replies([config.inbox, ...config.previousInboxes], keys);
      if (!current()) return;
      if (replies === null) return failed(t('not_found'));
      state.keys = keys;
      keys = null;
      state.replies = replies;
      w.go('replies');
    } catch {
      if (current()) failed(t('config_error'));
    } finally {
      parsed.wipe();
      if (keys) forget(keys);
    }
  };
  return [
    heading(t('return_title')),
    h('p', { id: 'll-receipt-help' }, t('return_intro')),
    h('form', { class: 'll-form', onsubmit: submit }, h('label', { for: 'll-receipt' }, t('receipt_label')), input, state.notice ? h('p', { class: 'll-error', id: 'll-receipt-error', role: 'alert', tabindex: '-1' }, state.notice) : null, h('button', { type: 'submit', class: 'll-primary' }, t('open'))),
    backButton(w),
  ];
}
