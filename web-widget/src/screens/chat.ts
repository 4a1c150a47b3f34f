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

const TOKEN_KEY = 'lifeline-resume';

/** Quick exit: the resume token (kept only when the operator enabled it) goes too. */
export function forgetResumeToken(): void {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage may be unavailable */
  }
}

export function startChat(w: Widget): void {
  const { state } = w;
  const wsBase = w.base.replace(/^http/, 'ws');
  const keep = state.config?.resumeInSessionStorage === true;
  const chat = new Chat({
    org: w.org,
    lang: state.lang,
    solve: w.solve,
    revocationMaxAge: w.revocationMaxAge,
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
    keepToken: keep ? (s, tok) => sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ s, tok })) : undefined,
    dropToken: keep ? () => sessionStorage.removeItem(TOKEN_KEY) : undefined,
    onChange: (view, event) => {
      if (state.chat !== chat || state.screen !== 'chat') return;
      if (event && event.kind === 'message') appendMessage(w, event.message, view);
      else updateChat(w, view);
    },
  });
  state.chat = chat;
  w.go('chat');
  chat.start();
  addEventListener('offline', () => chat.networkLost());
  addEventListener('online', () => chat.networkBack());
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
  return w.t(m.text as Key);
}

function markText(m: ChatMessage): string {
  return m.mark === 'delivered' ? '✓✓' : m.mark === 'sent' ? '✓' : '…';
}

function messageNode(w: Widget, m: ChatMessage, view: ChatView): HTMLElement {
  const who = m.from === 'me' ? w.t('you') : m.from === 'them' ? (view.alias ?? '') : '';
  // A div, not an li: a list may not take role=log, and the log must be one (axe `listitem`).
  const li = h('div', { class: 'll-msg ll-' + m.from, 'data-id': String(m.id) });
  if (who) li.append(h('span', { class: 'll-sr' }, who + ': '));
  // dir=auto: a message in another script than the interface's reads in its own direction.
  li.append(h('span', { class: 'll-text', dir: 'auto' }, messageText(w, m, view)));
  if (m.from === 'me') {
    li.append(
      h('span', { class: 'll-mark', 'data-mark': m.mark ?? 'pending' }, h('span', { 'aria-hidden': 'true' }, markText(m)), h('span', { class: 'll-sr' }, ' ' + w.t(('mark_' + (m.mark ?? 'pending')) as Key))),
    );
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

function updateChat(w: Widget, view: ChatView) {
  if (view.phase === 'ended' || view.phase === 'failed') return w.render();
  const status = w.panel.querySelector('.ll-status');
  const log = w.panel.querySelector('.ll-log');
  if (!status || !log) return w.render();
  status.replaceChildren(...(chatStatus(w, view).filter((c) => c !== null && c !== undefined && c !== false) as (Node | string)[]));
  for (const m of view.messages) {
    if (m.from !== 'me') continue;
    const mark = log.querySelector(`[data-id="${m.id}"] .ll-mark`);
    if (mark && mark.getAttribute('data-mark') !== m.mark) mark.replaceWith(messageNode(w, m, view).querySelector('.ll-mark')!);
  }
}

function chatStatus(w: Widget, view: ChatView): Child[] {
  const t = w.t;
  // No one can answer: said first, whatever the connection is doing behind it.
  if (view.busy) return [noOneBlock(w, 'line_full')];
  if (view.unreachable) return [noOneBlock(w, 'unreachable')];
  if (view.phase === 'pow' || view.phase === 'connecting') return [h('p', {}, t('pow')), progressBar(w, view.powProgress)];
  if (view.phase === 'reconnecting') return [h('p', { class: 'll-warn', role: 'status' }, t('reconnecting')), numbers(w)];
  if (view.phase === 'chatting' && view.alias) {
    return [h('p', { class: 'll-alias' }, t('talking_to', { alias: view.alias }), ' ', h('span', { class: 'll-verified' }, '✔ ' + t('verified'))), view.transferring ? h('p', {}, t('transferring')) : null];
  }
  // waiting
  const out: Child[] = [h('h3', {}, t('waiting_title'))];
  if (view.onDuty === 0) return [...out, noOneBlock(w)];
  if (view.position) out.push(h('p', {}, t('position', { n: view.position })));
  out.push(h('p', {}, view.waitEstimate ? t('wait', { m: Math.max(1, Math.round(view.waitEstimate / 60)) }) : t('wait_unknown')));
  if (view.onDuty) out.push(h('p', {}, view.onDuty === 1 ? t('on_duty_one') : t('on_duty', { n: view.onDuty })));
  out.push(h('p', { class: 'll-hint' }, t('typing_ahead')), numbers(w));
  return out;
}

/** Read-only conversation: what was said stays readable after the end, until wiped. */
function log(w: Widget, view: ChatView): HTMLElement {
  return h('div', { class: 'll-log', role: 'region', 'aria-label': w.t('messages_label'), tabindex: '0' }, ...view.messages.map((m) => messageNode(w, m, view)));
}

function endedScreen(w: Widget, chat: Chat): Child[] {
  const view = chat.view;
  const reason = view.phase === 'failed' ? 'failed' : view.endReason === 'truncated' ? 'truncated' : view.endReason === 'expired' ? 'expired' : 'ended';
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
  return [
    heading(w.t('ended_title')),
    h('p', { role: 'status' }, w.t(reason as Key)),
    kept ? h('p', { class: 'll-hint' }, w.t('ended_kept')) : null,
    kept ? log(w, view) : null,
    kept ? h('button', { type: 'button', class: 'll-secondary', onclick: wipe }, w.t('wipe_now')) : null,
    numbers(w),
    tipOption(w),
    h('button', { type: 'button', class: 'll-primary', onclick: home }, w.t('home')),
  ];
}

/** "End and wipe": the visitor's own end forgets the conversation at once, as the button says. */
function endAndWipe(chat: Chat): void {
  chat.forgetMessages(); // first: the ended screen drawn by end() must not show them
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
    if ((e as KeyboardEvent).key === 'Enter' && !(e as KeyboardEvent).shiftKey) submit(e);
  });
  return [
    heading(t('messages_label')),
    h('div', { class: 'll-status', 'aria-live': 'polite' }, ...chatStatus(w, view)),
    h('div', { class: 'll-log', role: 'log', 'aria-live': 'polite', 'aria-label': t('messages_label'), tabindex: '0' }, ...view.messages.map((m) => messageNode(w, m, view))),
    h('form', { class: 'll-compose', onsubmit: submit }, h('label', { for: 'll-message' }, t('message_label')), input, limit.counter, h('button', { type: 'submit', class: 'll-primary' }, t('send'))),
    h('button', { type: 'button', class: 'll-secondary ll-end', onclick: () => endAndWipe(chat) }, t('end')),
  ];
}
