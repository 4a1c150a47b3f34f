// The live-chat screen: starts a Chat over the relay's visitor WebSocket, shows the queue,
// the verified coordinator, the conversation with its delivery marks, and the end. Updates
// patch the log in place so a screen reader hears each new message once. It must never show
// a coordinator's alias before the handshake verified it.
import { Chat, ChatMessage, ChatView } from '../chat';
import { h, PRIVATE_FIELD } from '../dom';
import type { Child } from '../dom';
import type { Key } from '../i18n';
import type { Widget } from '../state';
import { CHAT_LIMIT, heading, limited, noOneBlock, numbers, progressBar, tipOption } from './common';
import { holdsPanel } from './holds';

const TOKEN_KEY = 'lifeline-resume';

/** Quick exit: the resume token (kept only when the operator enabled it) goes too. */
export function forgetResumeToken(): void {
  keepQuietly(() => sessionStorage.removeItem(TOKEN_KEY));
}

/**
 * A write to sessionStorage that may fail (storage blocked by the browser's settings, a
 * sandboxed frame, a full quota) without stopping the chat: the token is a convenience,
 * and a throw here once left the chat stuck with End doing nothing.
 */
function keepQuietly(write: () => void): void {
  try {
    write();
  } catch {
    /* storage may be unavailable: the chat goes on without a resume across reloads */
  }
}

export function startChat(w: Widget): void {
  const { state } = w;
  const wsBase = w.base.replace(/^http/, 'ws');
  const keep = state.config?.resumeInSessionStorage === true;
  // One chat per ticket, and only while the relay still honours it.
  const ticket = state.config?.ticket;
  if (state.config) state.config.ticket = undefined;
  const usable = ticket && ticket.until > Date.now();
  if (!usable) ticket?.search?.stop();
  const chat = new Chat({
    ticket: usable ? ticket : undefined,
    org: w.org,
    lang: state.lang,
    // the ticket's search, begun on the home screen (chat-presearch.ts)
    solve: (usable && ticket.search?.solver(w.solve)) || w.solve,
    revocationMaxAge: w.revocationMaxAge,
    revocations: state.config?.revocations,
    connect: (handlers) => {
      const ws = new WebSocket(wsBase + '/v1/visitor');
      ws.onmessage = (e) => typeof e.data === 'string' && handlers.onMessage(e.data);
      ws.onclose = (e) => handlers.onClose(e.code);
      let queue: string[] | null = [];
      ws.onopen = () => {
        for (const m of queue ?? []) ws.send(m);
        queue = null;
      };
      return {
        send: (text) => (queue ? queue.push(text) : ws.readyState === WebSocket.OPEN && ws.send(text)),
        close: () => ws.close(1000),
      };
    },
    keepToken: keep ? (s, tok) => keepQuietly(() => sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ s, tok }))) : undefined,
    dropToken: keep ? forgetResumeToken : undefined,
    onChange: (view, event) => {
      if (state.chat !== chat || state.screen !== 'chat') return;
      if (event && event.kind === 'message') appendMessage(w, event.message, view);
      else updateChat(w, view);
    },
  });
  state.chat = chat;
  w.go('chat');
  chat.start();
  // Gone when this chat stops, however it ends or its screen is left: each chat in the page
  // once added two more, all kept for as long as the page.
  const { signal } = chat;
  addEventListener('offline', () => chat.networkLost(), { signal });
  addEventListener('online', () => chat.networkBack(), { signal });
}

/** A session kept by a reloaded page cannot be continued (its keys are gone): end it. */
export function endStaleSession(base: string): void {
  let kept: { s: string; tok: string } | null = null;
  try {
    kept = JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? 'null');
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    return;
  }
  if (!kept) return;
  const { s, tok } = kept;
  const ws = new WebSocket(base.replace(/^http/, 'ws') + '/v1/visitor');
  ws.onmessage = () => {
    ws.send(JSON.stringify({ v: 1, type: 'resume', session: s, token: tok, last_seq: 0 }));
    ws.send(JSON.stringify({ v: 1, type: 'end' }));
    ws.onmessage = null;
  };
}

function messageText(w: Widget, m: ChatMessage, view: ChatView): string {
  if (m.from !== 'system') return m.text;
  if (m.text.startsWith('joined:')) return w.t('joined', { alias: m.text.slice(7) });
  if (m.text === 'closed') return w.t('closed_by_them', { alias: view.alias ?? '' });
  if (m.text === 'consent_stayed') return w.t('consent_stayed', { alias: view.alias ?? '' });
  return w.t(m.text as Key);
}

/** What the eye sees: a tick or two while it may still arrive; a word once it never will. */
function markText(w: Widget, m: ChatMessage): string {
  return m.mark === 'undelivered' ? w.t('mark_undelivered') : m.mark === 'delivered' ? '✓✓' : m.mark === 'sent' ? '✓' : '…';
}

function messageNode(w: Widget, m: ChatMessage, view: ChatView): HTMLElement {
  const who = m.from === 'me' ? w.t('you') : m.from === 'them' ? (view.alias ?? '') : '';
  // A div, not an li: a list may not take role=log, and the log must be one (axe `listitem`).
  const li = h('div', { class: 'll-msg ll-' + m.from, 'data-id': String(m.id) });
  if (who) li.append(h('span', { class: 'll-sr' }, who + ': '));
  // dir=auto: a message in another script than the interface's reads in its own direction.
  // translate=no: a browser's page translation would send the conversation to its server.
  li.append(h('span', { class: 'll-text', dir: 'auto', translate: 'no' }, messageText(w, m, view)));
  if (m.from === 'me') {
    // Read when the visitor browses the log, never announced: the log speaks additions only,
    // and a mark changes its text in place (see `updateMarks`).
    li.append(h('span', { class: 'll-mark', 'data-mark': m.mark ?? 'pending' }, h('span', { 'aria-hidden': 'true' }, markText(w, m)), h('span', { class: 'll-sr' }, ' ' + w.t(('mark_' + (m.mark ?? 'pending')) as Key))));
  }
  return li;
}

function appendMessage(w: Widget, m: ChatMessage, view: ChatView) {
  const log = w.panel.querySelector('.ll-log');
  if (!log) return w.render();
  log.append(messageNode(w, m, view));
  log.scrollTop = log.scrollHeight;
  updateChat(w, view);
}

/** Own messages' delivery marks, changed as text in place: no node is added to the log. */
function updateMarks(w: Widget, log: Element, view: ChatView) {
  for (const m of view.messages) {
    if (m.from !== 'me') continue;
    const mark = log.querySelector(`[data-id="${m.id}"] .ll-mark`);
    const now = m.mark ?? 'pending';
    if (!mark || mark.getAttribute('data-mark') === now) continue;
    mark.setAttribute('data-mark', now);
    const [shown, spoken] = [...mark.children];
    if (shown?.firstChild) (shown.firstChild as Text).data = markText(w, m);
    if (spoken?.firstChild) (spoken.firstChild as Text).data = ' ' + w.t(('mark_' + now) as Key);
  }
}

/** What the status area shows, as one string: it is redrawn only when this changes. */
function statusKey(view: ChatView): string {
  const { phase, busy, unreachable, waitEstimate, onDuty, transferring, tooSlow, offer } = view;
  return JSON.stringify([phase === 'pow' ? 'connecting' : phase, busy, unreachable, waitEstimate, onDuty, transferring, tooSlow, offer]);
}

/**
 * Nobody can answer now: no message box is offered. A conversation already under way keeps
 * its box while the service cannot be reached: what is written waits and goes out on resume.
 */
function noOneCanAnswer(view: ChatView): boolean {
  return view.busy || (view.unreachable && !view.alias) || view.tooSlow || (view.phase === 'waiting' && view.onDuty === 0);
}

/**
 * What the chat's one live region says: where the visitor stands, in a line or two. It is
 * the only part a screen reader hears by itself, and only when these words change; the wait,
 * the numbers and the tip path around it are redrawn silently.
 */
function statusLines(w: Widget, view: ChatView): string[] {
  const t = w.t;
  if (view.busy) return [t('line_full')];
  if (view.tooSlow) return [t('pow_slow'), t('no_one')];
  // A conversation under way stays the screen's heart: "reconnecting" and the numbers, never
  // a block that pushed its log off a small phone and offered a tip that wiped it.
  if (view.unreachable && !view.alias) return [t('unreachable')];
  if (view.phase === 'pow' || view.phase === 'connecting') return [t('pow')];
  if (view.phase === 'reconnecting') return [t('reconnecting')];
  if (view.offer) return [t('consent_ask', { alias: view.offer })];
  // §9.6: heard, calmly, while their coordinator reconnects; gone when they are back.
  // §9.4: a long run of `retry` is said as calmly, and goes at the next `stored`.
  if (view.phase === 'chatting' && view.alias) return [t('talking_to', { alias: view.alias }), ...(view.peerAway ? [t('reconnect_wait')] : []), ...(view.outage ? [t('outage_wait')] : [])];
  if (view.onDuty === 0) return [t('waiting_title'), t('no_one')];
  return view.position ? [t('waiting_title'), t('position', { n: view.position })] : [t('waiting_title')];
}

function sayStatus(said: HTMLElement, lines: string[], warn: boolean) {
  said.classList.toggle('ll-warn', warn);
  said.replaceChildren(...lines.map((l) => h('span', {}, l)));
}

function updateChat(w: Widget, view: ChatView) {
  // The ended screen's heading, focused, is read with the reason it describes.
  if (view.phase === 'ended' || view.phase === 'failed') return w.render(true);
  const said = w.panel.querySelector<HTMLElement>('.ll-said');
  const status = w.panel.querySelector<HTMLElement>('.ll-status');
  const log = w.panel.querySelector('.ll-log');
  const compose = w.panel.querySelector<HTMLElement>('.ll-compose');
  if (!said || !status || !log || !compose) return w.render();
  // A log read to its end stays at its end when the lines above it grow (the numbers shown
  // when the coordinator left): the newest message stays in sight.
  const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  const lines = statusLines(w, view);
  if (said.textContent !== lines.join('')) sayStatus(said, lines, isWarning(view));
  const key = statusKey(view);
  if (status.dataset.key !== key) {
    status.dataset.key = key;
    const had = status.contains(document.activeElement);
    status.replaceChildren(...(chatStatus(w, view).filter((c) => c !== null && c !== undefined && c !== false) as (Node | string)[]));
    // A choice is asked: the keyboard goes to it (Tab: accept, then stay).
    status.querySelector<HTMLElement>('.ll-consent')?.focus();
    // The button that held the focus went (Accept, Back): the heading takes it, not <body>
    // (embedded, Esc leaves only while the focus is in the widget).
    if (had && !status.contains(document.activeElement)) (w.panel.querySelector('.ll-h') as HTMLElement | null)?.focus();
  } else {
    const bar = status.querySelector('progress');
    if (bar) bar.value = Math.round(view.powProgress * 100);
  }
  const hide = noOneCanAnswer(view);
  if (compose.hidden !== hide) {
    compose.hidden = hide;
    if (hide && compose.contains(document.activeElement)) (w.panel.querySelector('.ll-h') as HTMLElement | null)?.focus();
  }
  updateMarks(w, log, view);
  if (atEnd) log.scrollTop = log.scrollHeight;
}

function isWarning(view: ChatView): boolean {
  return view.busy || view.unreachable || view.tooSlow || view.phase === 'reconnecting';
}

function endReason(view: ChatView): Key {
  if (view.endReason === 'no_list') return 'revocation_missing';
  if (view.phase !== 'failed' && view.endReason === 'lost') return 'lost_text';
  return view.phase === 'failed' ? 'failed' : view.endReason === 'truncated' ? 'truncated' : view.endReason === 'expired' ? 'expired' : 'ended';
}

/** Around the status lines, redrawn silently: progress, wait, who is on duty, numbers, tip path. */
function chatStatus(w: Widget, view: ChatView): Child[] {
  const t = w.t;
  // No one can answer: said first, whatever the connection is doing behind it.
  if (view.busy || (view.unreachable && !view.alias) || view.tooSlow) return [noOneBlock(w, null)];
  const back = h('button', { type: 'button', class: 'll-secondary', onclick: () => cancelChat(w) }, t('back'));
  if (view.phase === 'pow' || view.phase === 'connecting') return [progressBar(w, view.powProgress), back];
  if (view.phase === 'reconnecting') return [numbers(w)];
  if (view.offer && w.state.chat) return [consent(w, w.state.chat, view.alias ?? '')];
  if (view.phase === 'chatting' && view.alias) {
    return [h('p', { class: 'll-verified' }, '✔ ' + t('verified')), view.transferring ? h('p', {}, t('transferring')) : null];
  }
  // Back only from a line that never became a conversation: one handed back to the line
  // (its coordinator gone, F-54) keeps its transcript, and ends by End and wipe.
  if (view.onDuty === 0) return [noOneBlock(w, null), view.messages.length ? null : back];
  const out: Child[] = [h('p', {}, view.waitEstimate ? t('wait', { m: Math.max(1, Math.round(view.waitEstimate / 60)) }) : t('wait_unknown'))];
  if (view.onDuty) out.push(h('p', {}, view.onDuty === 1 ? t('on_duty_one') : t('on_duty', { n: view.onDuty })));
  out.push(h('p', { class: 'll-hint' }, t('typing_ahead')), numbers(w));
  return out;
}

/** §9.6: who would take over (verified), and the choice; nothing moves unless accepted. */
function consent(w: Widget, chat: Chat, current: string): HTMLElement {
  const answer = (accept: boolean) => () => chat.answerTransfer(accept);
  // Named by the status line above, which asks the question: it is not written twice.
  return h(
    'div',
    { role: 'group', 'aria-labelledby': 'll-said', class: 'll-consent', tabindex: '-1' },
    h('p', { class: 'll-verified' }, '✔ ' + w.t('verified')),
    h('button', { type: 'button', class: 'll-primary', onclick: answer(true) }, w.t('consent_accept')),
    h('button', { type: 'button', class: 'll-secondary', onclick: answer(false) }, w.t('consent_stay', { alias: current })),
  );
}

/**
 * The conversation: live, a log whose additions are read out (`role: 'log'`); after the end,
 * a read-only region, readable until wiped.
 */
function log(w: Widget, view: ChatView, live: boolean): HTMLElement {
  const role = live ? { role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions' } : { role: 'region' };
  return h('div', { class: 'll-log', ...role, 'aria-label': w.t('messages_label'), tabindex: '0' }, ...view.messages.map((m) => messageNode(w, m, view)));
}

function endedScreen(w: Widget, chat: Chat): Child[] {
  const view = chat.view;
  const wipe = () => {
    chat.forgetMessages();
    w.render(true);
  };
  const home = () => {
    chat.forgetMessages();
    w.state.chat = null;
    w.go('home');
  };
  const kept = view.messages.some((m) => m.from !== 'system');
  // With the transcript still below, "nothing of it is kept on this device" read as a
  // contradiction: what stays, and where, is said instead.
  const reason = endReason(view);
  const said = kept && reason == 'ended';
  // The server lost it (4014): the visitor did nothing wrong and can start again at once.
  const again = () => {
    chat.forgetMessages();
    w.state.chat = null;
    startChat(w);
  };
  return [
    // A status created with the screen is often not heard: the reason is the heading's
    // description instead, read when the heading takes the focus.
    heading(w.t('ended_title'), 'll-ended-reason'),
    h('p', { id: 'll-ended-reason' }, w.t(said ? 'ended_kept' : reason)),
    view.endReason === 'lost' ? h('button', { type: 'button', class: 'll-primary', onclick: again }, w.t('lost_again')) : null,
    kept && !said ? h('p', { class: 'll-hint' }, w.t('ended_kept')) : null,
    kept ? log(w, view, false) : null,
    kept ? h('button', { type: 'button', class: 'll-secondary', onclick: wipe }, w.t('wipe_now')) : null,
    numbers(w),
    tipOption(w),
    h('button', { type: 'button', class: 'll-primary', onclick: home }, w.t('home')),
  ];
}

/**
 * Back: home again. From a line that never became a conversation, the relay forgets the
 * place in it, and no "ended" screen follows; during the proof-of-work nothing was sent.
 */
function cancelChat(w: Widget): void {
  const chat = w.state.chat;
  w.state.chat = null;
  chat?.forgetMessages();
  if (chat?.view.phase === 'waiting') chat.end();
  else chat?.cancel();
  w.go('home');
}

/** "End and wipe": the visitor's own end forgets the conversation at once, as the button says. */
function endAndWipe(w: Widget, chat: Chat): void {
  chat.forgetMessages(); // first: the ended screen drawn by end() must not show them
  // Given up as too slow, the chat is already stopped (end() would do nothing) and nothing
  // was sent: home, as Back would have done.
  if (chat.view.tooSlow) return cancelChat(w);
  chat.end();
}

export function chatScreen(w: Widget): Child[] {
  const chat = w.state.chat;
  const t = w.t;
  if (!chat) return [];
  const view = chat.view;
  if (view.phase === 'ended' || view.phase === 'failed') return endedScreen(w, chat);
  const input = h('textarea', { id: 'll-message', rows: '2', ...PRIVATE_FIELD }) as HTMLTextAreaElement;
  const limit = limited(w, input, CHAT_LIMIT);
  const submit = (e: Event) => {
    e.preventDefault();
    if (!limit.fits()) return;
    const text = input.value.trim();
    if (text) chat.send(text);
    input.value = '';
    input.dispatchEvent(new Event('input'));
    input.focus();
  };
  input.addEventListener('keydown', (e) => {
    const key = e as KeyboardEvent;
    // Enter that commits an input method's composition (Chinese, Japanese…) is not a send.
    if (key.key === 'Enter' && !key.shiftKey && !key.isComposing && key.keyCode !== 229) submit(e);
  });
  const compose = h('form', { class: 'll-compose', onsubmit: submit }, h('label', { for: 'll-message' }, t('message_label')), input, limit.counter, h('button', { type: 'submit', class: 'll-primary' }, t('send')));
  compose.hidden = noOneCanAnswer(view);
  // The one live region, kept for the whole chat: only its words changing are heard.
  const said = h('p', { class: 'll-said', role: 'status', id: 'll-said' });
  sayStatus(said, statusLines(w, view), isWarning(view));
  return [
    heading(t('messages_label')),
    said,
    h('div', { class: 'll-status', 'data-key': statusKey(view) }, ...chatStatus(w, view)),
    // Above the log, not below it: the sticky footer would cover its last line on a phone.
    holdsPanel(w, 'chat'),
    log(w, view, true),
    // Kept at the bottom of the screen: on a phone, Send and End stay in reach however long the chat.
    h('div', { class: 'll-footer' }, compose, h('button', { type: 'button', class: 'll-secondary ll-end', onclick: () => endAndWipe(w, chat) }, t('end'))),
  ];
}
