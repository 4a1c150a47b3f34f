// The one text field a draft is written in, kept across snapshots so typing is never
// interrupted: the page sends every change, and takes the desk's draft only when it is one
// the page never sent (the desk changed it: a resource inserted, a message sent) or another
// draft is shown. Snapshots may echo older keystrokes: those are drafts the page sent.
import { h } from './dom';
import { ask, Target } from './api';
import { t } from './strings';

const field = h('textarea', { id: 'draft', rows: 3, 'data-key': 'draft' });
let target: Target | null = null;
const sent = new Set<string>();

field.addEventListener('input', () => {
  if (!target) return;
  sent.add(field.value);
  ask({ type: 'draft', target, text: field.value });
});
field.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    sendDraft();
  }
});

/** The desk may empty the draft now (sent, or handed over as a note): take it if it does. */
export function adoptNext(): void {
  sent.delete('');
}

/** Sends what is written to `target`. */
export function sendDraft(): void {
  if (!target) return;
  adoptNext();
  ask({ type: 'send', target });
}

/** The field for `to`, showing `draft` if it is another draft or the desk changed it. */
export function composer(to: Target, draft: string, label: string, enabled: boolean): HTMLElement {
  if (JSON.stringify(to) !== JSON.stringify(target) || (draft !== field.value && !sent.has(draft))) {
    field.value = draft;
    sent.clear();
    // What is shown now counts as sent: a snapshot the desk made before the first keystroke
    // here reached it echoes this draft, and must not wipe what is typed meanwhile (the
    // words typed just after Alt+N were lost, or came out of order, that way).
    sent.add(draft);
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
  sent.clear();
  target = null;
}
