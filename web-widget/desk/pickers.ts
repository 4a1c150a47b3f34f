// The two pickers, as modal dialogs outside the re-drawn page: resources (searchable; the
// chosen text goes into the draft, to edit before sending) and colleagues for a transfer.
import { h } from './dom';
import { ask, Colleague, Resource, Target } from './api';
import { adoptNext } from './composer';
import { t } from './strings';

function dialog(title: string, ...body: Node[]): HTMLDialogElement {
  closePickers();
  const d = h('dialog', { class: 'picker', 'aria-labelledby': 'picker-title' }, h('h2', { id: 'picker-title' }, title), ...body);
  d.append(h('button', { type: 'button', onclick: () => closePickers() }, t('cancel')));
  d.addEventListener('close', () => d.remove());
  document.body.append(d);
  d.showModal();
  return d;
}

/**
 * Asks `question` before `act`, in a modal dialog of the page whose button says `actWord`.
 * Never `confirm()`: it stops the page's script while it waits, so the idle lock could not
 * take the conversations off the screen behind it.
 */
export function askFirst(question: string, actWord: string, act: () => void): void {
  const yes = h('button', { type: 'button', class: 'danger', onclick: () => (closePickers(), act()) }, actWord);
  dialog(question, yes);
  yes.focus();
}

/** Closes any open picker or question (a lock, a new screen). */
export function closePickers(): void {
  for (const d of document.querySelectorAll('dialog')) d.remove();
}

/** The resource picker for `target`'s draft. */
export function pickResource(target: Target, resources: Resource[]): void {
  const list = h('ul', { class: 'choices' });
  const search = h('input', { type: 'search', id: 'resource-search', 'aria-label': t('search'), placeholder: t('search') });
  const fill = () => {
    const q = search.value.trim().toLowerCase();
    list.replaceChildren(
      ...resources
        .map((r, index) => ({ r, index }))
        .filter(({ r }) => !q || `${r.title} ${r.text} ${r.category} ${r.region} ${r.lang}`.toLowerCase().includes(q))
        .map(({ r, index }) =>
          h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                onclick: () => {
                  adoptNext();
                  ask({ type: 'resource', target, index });
                  closePickers();
                  document.getElementById('draft')?.focus();
                },
              },
              h('strong', {}, r.title),
              h('span', { class: 'meta' }, ` ${r.category} · ${r.region} · ${r.lang}`),
              h('span', { class: 'preview' }, r.text),
            ),
          ),
        ),
    );
  };
  search.addEventListener('input', fill);
  fill();
  dialog(t('resources'), search, list);
  search.focus();
}

/**
 * The colleague picker for handing `session` over, with the note's own box: the note goes
 * sealed to the colleague picked, and never to the visitor (it once came from the visitor's
 * draft, where one Enter would have sent it to them). The visitor's draft is left as it is.
 * `kept` is the note of a hand-over that did not go through, offered again.
 */
export function pickColleague(session: string, colleagues: Colleague[], kept: string): void {
  const note = h('textarea', { id: 'handover-note', rows: 2, maxlength: 240, 'aria-describedby': 'handover-hint' });
  note.value = kept;
  // Enter in the note picks no one by accident; it moves on to the first colleague.
  note.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      list.querySelector('button')?.focus();
    }
  });
  const list = h(
    'ul',
    { class: 'choices' },
    ...colleagues.map((c) =>
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            onclick: () => {
              ask({ type: 'transfer', session, to: c.serial, note: note.value });
              closePickers();
            },
          },
          h('strong', {}, c.alias),
          h('span', { class: 'meta' }, ' ' + t('seats', c)),
        ),
      ),
    ),
  );
  if (!colleagues.length) {
    dialog(t('pickColleague'), h('p', {}, t('noColleague')));
    return;
  }
  dialog(t('pickColleague'), h('label', { for: 'handover-note' }, t('noteLabel')), note, h('p', { id: 'handover-hint', class: 'meta' }, t('transferHint')), list);
  note.focus();
}
