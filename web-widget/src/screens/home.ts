// The first screen: talk now, leave a tip, open a receipt, safety tips; and, when nobody is
// on duty, says so at once with the tip path and the numbers (never a promise of an answer).
import { h } from '../dom';
import type { Child } from '../dom';
import type { Widget } from '../state';
import { heading, noOneBlock, numbers } from './common';
import { startChat } from './chat';

export function homeScreen(w: Widget): Child[] {
  const c = w.state.config;
  const t = w.t;
  return [
    heading(t('title')),
    h('p', {}, t('intro')),
    c && c.onDuty === 0 ? noOneBlock(w) : null,
    h('div', { class: 'll-actions' }, h('button', { type: 'button', class: 'll-primary', onclick: () => startChat(w) }, t('talk')), h('button', { type: 'button', class: 'll-primary', onclick: () => w.go('tip') }, t('tip'))),
    h('div', { class: 'll-actions' }, h('button', { type: 'button', class: 'll-link', onclick: () => w.go('return') }, t('have_receipt')), h('button', { type: 'button', class: 'll-link', onclick: () => w.go('safety') }, t('safety'))),
    w.state.receipt ? h('button', { type: 'button', class: 'll-link', onclick: () => w.go('receipt') }, t('show_receipt')) : null,
    c && c.onDuty !== 0 ? numbers(w) : null,
  ];
}
