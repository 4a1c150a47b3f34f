// The chats screen: waiting visitors with their wait and language, the conversations held
// with unread counts and open time, and the one shown, its transcript with ✓ / ✓✓, the
// composer and the conversation's actions.
import { h, duration } from './dom';
import { ask, Conversation, State } from './api';
import { composer } from './composer';
import { keepsChat } from './keeps';
import { askFirst, pickColleague, pickResource } from './pickers';
import { t, worded } from './strings';

const lang = (l: string | null) => (l ? l : t('langUnknown'));

function queueList(s: State): HTMLElement {
  const selected = s.selected && 'queue' in s.selected ? s.selected.queue : null;
  return h(
    'section',
    { 'aria-labelledby': 'queue-title' },
    h('h2', { id: 'queue-title' }, `${t('queue')} (${s.queue.length})`),
    s.queue.length
      ? h(
          'ul',
          { class: 'rows' },
          ...s.queue.map((q) =>
            h(
              'li',
              { class: q.session === selected ? 'row selected' : 'row' },
              h(
                'button',
                { type: 'button', class: 'pick', 'data-key': 'q' + q.session, 'aria-current': q.session === selected ? 'true' : undefined, onclick: () => ask({ type: 'select_queue', session: q.session }) },
                h('span', {}, t(q.kind)),
                h('span', { class: 'meta' }, ' ', since('waited', q.waited_s), ` · ${lang(q.lang)}`),
              ),
              h('button', { type: 'button', class: 'small', 'data-key': 'a' + q.session, onclick: () => ask({ type: 'claim', session: q.session }) }, t('answer')),
            ),
          ),
        )
      : h('p', { class: 'meta' }, s.on_duty ? t('nobody') : t('offDuty')),
    s.queue.length ? h('button', { type: 'button', 'data-key': 'next', onclick: () => ask({ type: 'claim_next' }) }, t('answerNext')) : null,
  );
}

/**
 * A duration that counts on by itself: the desk sends a snapshot when something changes, not
 * every second (a redraw a second took away a selection in a transcript), so the page adds
 * the seconds since the snapshot to what it said ([`tickDurations`]).
 */
function since(word: 'waited' | 'openFor', s: number): HTMLElement {
  return h('span', { 'data-since': s, 'data-word': word }, t(word, { t: duration(s) }));
}

/** Every counting duration shown, `elapsed` seconds after the snapshot that drew it. */
export function tickDurations(elapsed: number): void {
  for (const el of document.querySelectorAll<HTMLElement>('[data-since]')) {
    const said = t(el.dataset.word ?? '', { t: duration(Number(el.dataset.since) + elapsed) });
    if (el.textContent !== said) el.textContent = said;
  }
}

function conversationList(s: State): HTMLElement {
  const selected = s.selected && 'conversation' in s.selected ? s.selected.conversation : null;
  return h(
    'section',
    { 'aria-labelledby': 'conv-title' },
    h('h2', { id: 'conv-title' }, `${t('conversations')} (${s.held}/${s.capacity})`),
    s.conversations.length
      ? h(
          'ul',
          { class: 'rows' },
          ...s.conversations.map((c) =>
            h(
              'li',
              { class: c.session === selected ? 'row selected' : 'row' },
              h(
                'button',
                { type: 'button', class: 'pick', 'data-key': 'c' + c.session, 'aria-current': c.session === selected ? 'true' : undefined, onclick: () => ask({ type: 'select_conversation', session: c.session }) },
                h('span', {}, t('visitor', { n: c.number })),
                h('span', { class: 'meta' }, ' ', since('openFor', c.open_s), ` · ${lang(c.lang)} · ${t('state_' + c.state)}`),
                c.unread ? h('span', { class: 'badge' }, t('unread', { n: c.unread })) : null,
              ),
            ),
          ),
        )
      : h('p', { class: 'meta' }, t('none')),
  );
}

function transcript(c: Conversation): HTMLElement {
  return h(
    'ol',
    { class: 'transcript', id: 'transcript', tabindex: 0, 'aria-label': t('visitor', { n: c.number }) },
    ...c.lines.map((l) =>
      l.who === 'system'
        ? h('li', { class: 'note' }, worded(l.note))
        : h(
            'li',
            { class: l.who === 'me' ? 'line me' : 'line them' },
            h('span', { class: 'who' }, l.who === 'me' ? t('you') : t('them')),
            h('span', { class: 'text' }, l.text),
            l.who === 'me' ? h('span', { class: l.mark === 'undelivered' || l.mark === 'not_sent' ? 'mark undelivered' : 'mark' }, t(l.mark)) : null,
          ),
    ),
  );
}

function conversationPane(s: State, c: Conversation): HTMLElement {
  const target = { conversation: c.session };
  return h(
    'section',
    { class: 'pane', 'aria-labelledby': 'pane-title' },
    h(
      'div',
      { class: 'pane-head' },
      h('h2', { id: 'pane-title' }, t('visitor', { n: c.number })),
      h('span', { class: 'meta' }, `${t(c.kind)} · ${lang(c.lang)} · ${t('state_' + c.state)}${c.transferred_from ? ' · ' + c.transferred_from : ''}`),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', 'data-key': 'res', disabled: c.writable !== null || !s.resources.length, onclick: () => pickResource(target, s.resources) }, t('resources')),
        h('button', { type: 'button', 'data-key': 'xfer', disabled: c.transferable !== null, title: c.transferable ? worded(c.transferable) : undefined, onclick: () => pickColleague(c.session, s.colleagues, c.handover_note) }, t('transfer')),
        h(
          'button',
          {
            type: 'button',
            class: 'danger',
            'data-key': 'end',
            onclick: () => {
              // Messages the relay has not stored may never arrive once it is over: said first.
              const unstored = c.lines.filter((l) => l.who === 'me' && l.mark === 'pending').length;
              const question = unstored ? `${t('confirmEnd')} ${t('endUnstored', { n: unstored })}` : t('confirmEnd');
              const end = () => ask({ type: 'end', session: c.session });
              if (c.state === 'ended') end();
              else askFirst(question, t('end'), end);
            },
          },
          c.state === 'ended' ? t('close') : t('end'),
        ),
      ),
    ),
    transcript(c),
    keepsChat(s.holds, c.kept_unread, c.state === 'ended'),
    composer(target, c.draft, t('write'), c.writable === null && c.state !== 'transferring'),
  );
}

/** The chats screen for the snapshot `s`. */
export function chats(s: State): HTMLElement[] {
  const shown = s.selected && 'conversation' in s.selected ? s.conversations.find((c) => c.session === (s.selected as { conversation: string }).conversation) : undefined;
  const waiting = s.selected && 'queue' in s.selected ? s.queue.find((q) => q.session === (s.selected as { queue: string }).queue) : undefined;
  const pane = shown
    ? conversationPane(s, shown)
    : h(
        'section',
        { class: 'pane empty', 'aria-labelledby': 'pane-title' },
        h('h2', { id: 'pane-title' }, waiting ? t(waiting.kind) : t('conversations')),
        h('p', {}, waiting ? t('waitingVisitor') : t('selectSomeone')),
        waiting ? h('button', { type: 'button', class: 'primary', 'data-key': 'answer-shown', onclick: () => ask({ type: 'claim', session: waiting.session }) }, t('answer')) : null,
      );
  return [h('nav', { class: 'side', 'aria-label': t('chats') }, queueList(s), conversationList(s)), pane];
}
