// Advice on using this device safely. Static text only: it must never ask for anything.
import { h } from '../dom';
import type { Child } from '../dom';
import type { Key } from '../i18n';
import type { Widget } from '../state';
import { backButton, heading } from './common';

const TIPS: Key[] = ['safety_1', 'safety_2', 'safety_3', 'safety_4'];

export function safetyScreen(w: Widget): Child[] {
  return [heading(w.t('safety_title')), h('ul', { class: 'll-tips' }, ...TIPS.map((k) => h('li', {}, w.t(k)))), backButton(w)];
}
