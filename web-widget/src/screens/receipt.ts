// The receipt code of a tip just filed: the only key to the replies. It never goes to the
// clipboard (clipboard managers and synced clipboards keep it): it is shown large, in groups,
// to write down or remember, and can be shown again until the visitor leaves the page.
import { h } from '../dom';
import type { Child } from '../dom';
import type { Widget } from '../state';
import { heading } from './common';

export function receiptScreen(w: Widget): Child[] {
  const { state, t } = w;
  const code = state.receipt?.display() ?? '';
  // Read letter by letter, group by group; shown once, visually, in groups of four.
  const spoken = code.split('-').map((g) => g.split('').join(' ')).join(', ');
  return [
    heading(t('receipt_title')),
    h('p', {}, t('receipt_intro')),
    // translate=no: a page translation would send the code to the translator's server.
    h('p', { class: 'll-code', translate: 'no' }, h('span', { 'aria-hidden': 'true' }, ...code.split('-').map((g) => h('span', { class: 'll-group' }, g))), h('span', { class: 'll-sr' }, t('receipt_label') + ': ' + spoken)),
    h('p', { class: 'll-warn' }, t('receipt_write')),
    h('div', { class: 'll-actions' }, h('button', { type: 'button', class: 'll-primary', onclick: () => w.go('home') }, t('done'))),
  ];
}
