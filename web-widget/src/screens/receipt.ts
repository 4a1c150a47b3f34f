// The receipt code of a tip just filed: the only key to the replies. It is never stored.
import { h } from '../dom';
import type { Child } from '../dom';
import type { Widget } from '../state';
import { heading } from './common';

export function receiptScreen(w: Widget): Child[] {
  const { state, t } = w;
  const code = state.receipt?.display() ?? '';
  const status = h('p', { role: 'status', class: 'll-hint' });
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code);
      status.textContent = t('copied');
    } catch {
      status.textContent = '';
    }
  };
  const done = () => {
    state.receipt?.wipe();
    state.receipt = null;
    w.go('home');
  };
  return [
    heading(t('receipt_title')),
    h('p', {}, t('receipt_intro')),
    h('p', { class: 'll-code', 'aria-label': t('receipt_label') + ' ' + code.split('').join(' ') }, code),
    h('p', { class: 'll-warn' }, t('receipt_write')),
    h('div', { class: 'll-actions' }, h('button', { type: 'button', class: 'll-secondary', onclick: copy }, t('copy')), h('button', { type: 'button', class: 'll-primary', onclick: done }, t('done'))),
    status,
  ];
}
