// Parts several screens share: the focusable heading, the help numbers and the "no one can
// answer" block. The numbers must never be a bare list the relay could leave empty without
// the tip path beside them.
import { h } from '../dom';
import type { Screen, Widget } from '../state';

/** Each screen's heading takes the focus when the screen changes (screen readers hear it). */
export function heading(text: string): HTMLElement {
  return h('h2', { tabindex: '-1', class: 'll-h' }, text);
}

export function numbers(w: Widget): HTMLElement | null {
  const list = w.state.config?.emergency ?? [];
  if (!list.length) return null;
  return h(
    'div',
    { class: 'll-numbers' },
    h('h3', {}, w.t('numbers_title')),
    h('ul', {}, ...list.map((n) => h('li', {}, n.label + ': ', h('a', { href: 'tel:' + n.number.replace(/[^0-9+*#]/g, '') }, n.number)))),
  );
}

/** Ends a live chat (if any) and goes elsewhere: the tip path when no one can answer. */
export function leaveChatFor(w: Widget, screen: Screen): void {
  w.state.chat?.end();
  w.state.chat = null;
  w.go(screen);
}

export function noOneBlock(w: Widget): HTMLElement {
  return h('div', { class: 'll-notice', role: 'status' }, h('p', {}, w.t('no_one')), h('button', { type: 'button', class: 'll-secondary', onclick: () => leaveChatFor(w, 'tip') }, w.t('tip_instead')), numbers(w));
}

export function backButton(w: Widget, to: Screen = 'home'): HTMLElement {
  return h('button', { type: 'button', class: 'll-secondary', onclick: () => w.go(to) }, w.t('back'));
}

/** A progress bar for the slow steps (proof-of-work, receipt stretching). */
export function progressBar(w: Widget, fraction: number): HTMLProgressElement {
  const bar = h('progress', { max: '100', 'aria-label': w.t('pow_label') }) as HTMLProgressElement;
  bar.value = Math.round(fraction * 100);
  return bar;
}
