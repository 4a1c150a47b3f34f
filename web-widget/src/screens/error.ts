// The relay's configuration could not be loaded or verified: say so, keep the numbers we
// have, and offer a retry. Never continue with an unverified configuration, nor without a
// fresh revocation list (then it says that is why).
import { h } from '../dom';
import type { Child } from '../dom';
import type { Widget } from '../state';
import { heading, numbers, tipOption } from './common';

export function errorScreen(w: Widget): Child[] {
  return [heading(w.t('title')), h('p', { class: 'll-error', role: 'alert' }, w.t(w.state.listRefused ? 'revocation_missing' : 'config_error')), numbers(w), tipOption(w), h('button', { type: 'button', class: 'll-primary', onclick: () => w.loadConfig() }, w.t('retry'))];
}
