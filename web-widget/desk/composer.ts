// The one text field a draft is written in, kept across snapshots so typing is never
// interrupted: the page sends every change, and takes the desk's draft only when it changed
// it itself (a resource inserted, a message sent) or another draft is shown.
import { h } from './dom';
import { ask, Target } from './api';
import { t } from './strings';

const field = h('textarea', { id: 'draft', rows: 3, 'data-key': 'draft' });
let target: Target | null = null;
let adopt = false;

field.addEventListener('input', () => {
  if (target) ask({ type: 'draft', target, text: field.value });
});
field.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    sendDraft();
  }
});

/** The next snapshot's draft replaces what the field shows (the desk changed it). */
export function adoptNext(): void {
  adopt = true;
}

/** Sends what is written to `target`. */
export function sendDraft(): void {
  if (!target) return;
  adoptNext();
  ask({ type: 'send', target });
}

/** The field for `to`, showing `draft` if it is another draft or the desk changed it. */
export function composer(to: Target, draft: string, label: string, enabled: boolean): HTMLElement {
  if (JSON.stringify(to) !== JSON.stringify(target) || adopt) {
    field.value = draft;
    adopt = false;
  }
  target = to;
  field.disabled = !enabled;
  return h(
    'div',
    { class: 'composer' },
    h('label', { for: 'draft' }, label),
    field,
    h('button', { type: 'button', class: 'primary', 'data-key': 'send', disabled: !enabled, onclick: sendDraft }, t('send')),
  );
}

/** Forgets the field's text (at the lock). */
export function clearComposer(): void {
  field.value = '';
  target = null;
}
