// Parts several screens share: the focusable heading, the help numbers and the "no one can
// answer" block. The numbers must never be a bare list the relay could leave empty without
// the tip path beside them.
import { h } from '../dom';
import type { Key } from '../i18n';
import type { HelpNumber, Screen, Widget } from '../state';

/**
 * Each screen's heading takes the focus when the screen changes (screen readers hear it, and
 * the paragraph `describedBy` names, read with it on focus).
 */
export function heading(text: string, describedBy?: string): HTMLElement {
  return h('h2', { tabindex: '-1', class: 'll-h', 'aria-describedby': describedBy ?? false }, text);
}

/** The organisation's own page is trusted over the relay: the snippet's numbers come first. */
export function helpNumbers(w: Widget): HelpNumber[] {
  return w.snippetNumbers.length ? w.snippetNumbers : (w.state.config?.emergency ?? []);
}

export function numbers(w: Widget): HTMLElement | null {
  const list = helpNumbers(w);
  if (!list.length) return null;
  return h(
    'div',
    { class: 'll-numbers' },
    h('h3', {}, w.t('numbers_title')),
    h('ul', {}, ...list.map((n) => h('li', {}, (n.labels?.[w.state.lang] ?? n.label) + ': ', h('a', { href: 'tel:' + n.number.replace(/[^0-9+*#]/g, '') }, n.number)))),
  );
}

/** Ends a live chat (if any) and goes elsewhere: the tip path when no one can answer. */
export function leaveChatFor(w: Widget, screen: Screen): void {
  w.state.chat?.forgetMessages();
  w.state.chat?.end();
  w.state.chat = null;
  w.go(screen);
}

/** The tip path: the widget's own form when the relay's config is verified, else the snippet's link. */
export function tipOption(w: Widget): HTMLElement | null {
  if (w.state.config) return h('button', { type: 'button', class: 'll-secondary', onclick: () => leaveChatFor(w, 'tip') }, w.t('tip_instead'));
  if (w.tipUrl) return h('a', { class: 'll-secondary', href: w.tipUrl }, w.t('tip_page'));
  return null;
}

/**
 * Whenever no one can answer: say why, then the tip path and the numbers, never a spinner
 * alone. Not a live region (the numbers would be read again on each redraw): the chat screen
 * says the reason itself, once (`why` null).
 */
export function noOneBlock(w: Widget, why: Key | null = 'no_one'): HTMLElement {
  return h('div', { class: 'll-notice' }, why ? h('p', {}, w.t(why)) : null, tipOption(w), numbers(w));
}

export function backButton(w: Widget, to: Screen = 'home'): HTMLElement {
  return h('button', { type: 'button', class: 'll-secondary', onclick: () => w.go(to) }, w.t('back'));
}

/** Longest chat message, in UTF-16 units: at most 12 000 UTF-8 bytes, inside the 16 KiB bucket (§4.2). */
export const CHAT_LIMIT = 4000;
/** Longest tip or follow-up text: at most 180 000 UTF-8 bytes, inside the 256 KiB tip bucket (§5). */
export const TIP_LIMIT = 60000;

/**
 * A field with a length limit: a counter appears once 80 % is used and says, at the limit,
 * by how much it is over. No `maxlength`: it cuts pasted text silently. Returns the counter to
 * place under the field and a check for submit that refuses (and says why) when too long.
 */
export function limited(w: Widget, field: HTMLTextAreaElement, limit: number): { counter: HTMLElement; fits: () => boolean } {
  const counter = h('p', { class: 'll-hint ll-counter', id: field.id + '-count', 'aria-live': 'polite' });
  field.setAttribute('aria-describedby', counter.id);
  const update = () => {
    const n = field.value.length;
    const over = n > limit;
    counter.textContent = over ? w.t('too_long', { n: n - limit }) : n >= limit * 0.8 ? w.t('chars_left', { n: limit - n }) : '';
    counter.classList.toggle('ll-error', over);
    if (over) field.setAttribute('aria-invalid', 'true');
    else field.removeAttribute('aria-invalid');
  };
  field.addEventListener('input', update);
  // The re-render that restores a typed value (language switch) fires no input event.
  queueMicrotask(update);
  const fits = () => {
    update();
    if (field.value.length <= limit) return true;
    field.focus();
    return false;
  };
  return { counter, fits };
}

/** A progress bar for the slow steps (proof-of-work, receipt stretching). */
export function progressBar(w: Widget, fraction: number): HTMLProgressElement {
  const bar = h('progress', { max: '100', 'aria-label': w.t('pow_label') }) as HTMLProgressElement;
  bar.value = Math.round(fraction * 100);
  return bar;
}
