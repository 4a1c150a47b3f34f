// Lifeline visitor widget. One <script> tag embeds it:
//
//   <script src="https://org.example/widget/lifeline.js" integrity="sha384-…" crossorigin="anonymous"
//           data-organisation="<base64url Ed25519 public key>" data-relay="https://relay.example"
//           data-lang="en" data-mode="launcher|page"></script>
//
// It stores nothing (sessionStorage for the resume token only when the operator enables it),
// makes no request but to the relay, uses no inline script or style and no eval, and the
// quick exit (button, Esc, Shift ×3) wipes everything and leaves with location.replace.
import { fromB64url } from './crypto/bytes';
import { Chat, ChatMessage, ChatView } from './chat';
import { Key, LANGS, LOCALES, pickLang, translate } from './i18n';
import { isReceipt, Receipt } from './crypto/receipt';
import { forget, PublicConfig, Relay, TipError } from './tips';
import { runWorker, workerSolver } from './pow-solver';
import type { ReceiptKeys } from './crypto/receipt';

declare const __CSS_INTEGRITY__: string;

type Screen = 'home' | 'safety' | 'chat' | 'tip' | 'tip-sending' | 'receipt' | 'return' | 'replies' | 'error' | 'loading';

interface State {
  screen: Screen;
  lang: string;
  config: PublicConfig | null;
  chat: Chat | null;
  receipt: Receipt | null;
  keys: ReceiptKeys | null;
  replies: string[];
  progress: number;
  notice: string;
  previous: Screen;
}

type Child = Node | string | null | undefined | false;

function h(tag: string, attrs: Record<string, string | boolean | ((e: Event) => void)> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false) el.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

function boot(script: HTMLScriptElement | null) {
  const data = script?.dataset ?? {};
  const scriptUrl = script?.src ?? null;
  const base = (data.relay ?? (scriptUrl ? new URL(scriptUrl).origin : location.origin)).replace(/\/$/, '');
  const mode = data.mode === 'page' ? 'page' : 'launcher';
  let org: Uint8Array;
  try {
    org = fromB64url(data.organisation ?? '');
    if (org.length !== 32) throw new Error();
  } catch {
    console.error('lifeline: data-organisation must be the base64url organisation public key');
    return;
  }
  const maxAge = Number(data.revocationMaxAge ?? 30 * 86400);
  const solve = workerSolver(scriptUrl);
  const relay = new Relay(base, org, (u, i) => fetch(u, { ...i, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' }), solve, undefined, maxAge);
  const TOKEN_KEY = 'lifeline-resume';

  const state: State = {
    screen: 'loading',
    lang: pickLang(data.lang ?? document.documentElement.lang),
    config: null,
    chat: null,
    receipt: null,
    keys: null,
    replies: [],
    progress: 0,
    notice: '',
    previous: 'home',
  };
  const t = (k: Key, v?: Record<string, string | number>) => translate(state.lang, k, v);

  // The stylesheet, with its own integrity hash baked in at build time.
  if (scriptUrl && !document.querySelector('link[data-lifeline]')) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = new URL('lifeline.css', scriptUrl).href;
    link.integrity = __CSS_INTEGRITY__;
    link.crossOrigin = 'anonymous';
    link.dataset.lifeline = '';
    document.head.append(link);
  }

  const host = h('div', { class: 'lifeline lifeline-' + mode, 'data-lifeline-root': '' });
  const panel = h('section', { class: 'll-panel', id: 'lifeline-panel' });
  let launcher: HTMLElement | null = null;
  let outerExit: HTMLElement | null = null;
  if (mode === 'launcher') {
    panel.hidden = true;
    panel.setAttribute('role', 'dialog');
    // The quick exit stays visible while the panel is closed too.
    outerExit = h('button', { type: 'button', class: 'll-exit ll-exit-fixed', onclick: () => quickExit() });
    launcher = h('button', { type: 'button', class: 'll-launcher', 'aria-expanded': 'false', 'aria-controls': 'lifeline-panel', onclick: () => togglePanel(true) });
    host.append(outerExit, launcher);
  }
  host.append(panel);
  document.body.append(host);

  function togglePanel(open: boolean) {
    if (!launcher) return;
    panel.hidden = !open;
    if (outerExit) outerExit.hidden = open;
    launcher.setAttribute('aria-expanded', String(open));
    if (open) {
      render();
      (panel.querySelector('h1, h2') as HTMLElement | null)?.focus();
    } else launcher.focus();
  }

  // ---- quick exit -------------------------------------------------------------------------
  let exiting = false;
  function quickExit() {
    if (exiting) return;
    exiting = true;
    const target = state.config?.neutralUrl || data.exitUrl || 'about:blank';
    try {
      state.chat?.wipeNow();
    } catch {
      /* leaving anyway */
    }
    if (state.keys) forget(state.keys);
    state.receipt?.wipe();
    try {
      sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      /* storage may be unavailable */
    }
    Object.assign(state, { chat: null, keys: null, receipt: null, replies: [], config: null });
    host.remove();
    document.title = '';
    location.replace(target);
  }
  let shifts: number[] = [];
  document.addEventListener(
    'keydown',
    (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        quickExit();
      } else if (e.key === 'Shift' && !e.repeat) {
        const now = Date.now();
        shifts = shifts.filter((x) => now - x < 1500);
        shifts.push(now);
        if (shifts.length >= 3) quickExit();
      } else shifts = [];
    },
    true,
  );

  // ---- chat ---------------------------------------------------------------------------------
  function startChat() {
    const wsBase = base.replace(/^http/, 'ws');
    const keep = state.config?.resumeInSessionStorage === true;
    const chat = new Chat({
      org,
      lang: state.lang,
      solve,
      revocationMaxAge: maxAge,
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
        if (event && event.kind === 'message') appendMessage(event.message, view);
        else updateChat(view);
      },
    });
    state.chat = chat;
    go('chat');
    chat.start();
    const lost = () => chat.networkLost();
    const back = () => chat.networkBack();
    addEventListener('offline', lost);
    addEventListener('online', back);
  }

  /** A session kept by a reloaded page cannot be continued (its keys are gone): end it. */
  function endStaleSession() {
    let kept: { s: string; tok: string } | null = null;
    try {
      kept = JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? 'null');
      sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      return;
    }
    if (!kept) return;
    const ws = new WebSocket(base.replace(/^http/, 'ws') + '/v1/visitor');
    ws.onmessage = () => {
      ws.send(JSON.stringify({ v: 1, type: 'resume', session: kept!.s, token: kept!.tok, last_seq: 0 }));
      ws.send(JSON.stringify({ v: 1, type: 'end' }));
      ws.onmessage = null;
    };
  }

  function messageText(m: ChatMessage, view: ChatView): string {
    if (m.from !== 'system') return m.text;
    if (m.text.startsWith('joined:')) return t('joined', { alias: m.text.slice(7) });
    if (m.text === 'closed') return t('closed_by_them', { alias: view.alias ?? '' });
    return t(m.text as Key);
  }

  function markText(m: ChatMessage): string {
    return m.mark === 'delivered' ? '✓✓' : m.mark === 'sent' ? '✓' : '…';
  }

  function messageNode(m: ChatMessage, view: ChatView): HTMLElement {
    const who = m.from === 'me' ? t('you') : m.from === 'them' ? (view.alias ?? '') : '';
    const li = h('li', { class: 'll-msg ll-' + m.from, 'data-id': String(m.id) });
    if (who) li.append(h('span', { class: 'll-sr' }, who + ': '));
    li.append(h('span', { class: 'll-text' }, messageText(m, view)));
    if (m.from === 'me') {
      li.append(
        h('span', { class: 'll-mark', 'data-mark': m.mark ?? 'pending' }, h('span', { 'aria-hidden': 'true' }, markText(m)), h('span', { class: 'll-sr' }, ' ' + t(('mark_' + (m.mark ?? 'pending')) as Key))),
      );
    }
    return li;
  }

  function appendMessage(m: ChatMessage, view: ChatView) {
    const log = panel.querySelector('.ll-log');
    if (!log) return render();
    log.append(messageNode(m, view));
    log.scrollTop = log.scrollHeight;
    updateChat(view);
  }

  function updateChat(view: ChatView) {
    if (view.phase === 'ended' || view.phase === 'failed') return render();
    const status = panel.querySelector('.ll-status');
    const log = panel.querySelector('.ll-log');
    if (!status || !log) return render();
    status.replaceChildren(...(chatStatus(view).filter((c) => c !== null && c !== undefined && c !== false) as (Node | string)[]));
    for (const m of view.messages) {
      if (m.from !== 'me') continue;
      const mark = log.querySelector(`li[data-id="${m.id}"] .ll-mark`);
      if (mark && mark.getAttribute('data-mark') !== m.mark) mark.replaceWith(messageNode(m, view).querySelector('.ll-mark')!);
    }
  }

  function numbers(): HTMLElement | null {
    const list = state.config?.emergency ?? [];
    if (!list.length) return null;
    return h(
      'div',
      { class: 'll-numbers' },
      h('h3', {}, t('numbers_title')),
      h('ul', {}, ...list.map((n) => h('li', {}, n.label + ': ', h('a', { href: 'tel:' + n.number.replace(/[^0-9+*#]/g, '') }, n.number)))),
    );
  }

  function noOneBlock(): HTMLElement {
    return h('div', { class: 'll-notice', role: 'status' }, h('p', {}, t('no_one')), h('button', { type: 'button', class: 'll-secondary', onclick: () => leaveChatFor('tip') }, t('tip_instead')), numbers());
  }

  function leaveChatFor(screen: Screen) {
    state.chat?.end();
    state.chat = null;
    go(screen);
  }

  function chatStatus(view: ChatView): Child[] {
    if (view.phase === 'pow' || view.phase === 'connecting') {
      const bar = h('progress', { max: '100', 'aria-label': t('pow_label') }) as HTMLProgressElement;
      bar.value = Math.round(view.powProgress * 100);
      return [h('p', {}, t('pow')), bar];
    }
    if (view.phase === 'reconnecting') return [h('p', { class: 'll-warn', role: 'status' }, t('reconnecting'))];
    if (view.phase === 'chatting' && view.alias) {
      return [h('p', { class: 'll-alias' }, t('talking_to', { alias: view.alias }), ' ', h('span', { class: 'll-verified' }, '✔ ' + t('verified'))), view.transferring ? h('p', {}, t('transferring')) : null];
    }
    // waiting
    const out: Child[] = [h('h3', {}, t('waiting_title'))];
    if (view.onDuty === 0) return [...out, noOneBlock()];
    if (view.position) out.push(h('p', {}, t('position', { n: view.position })));
    out.push(h('p', {}, view.waitEstimate ? t('wait', { m: Math.max(1, Math.round(view.waitEstimate / 60)) }) : t('wait_unknown')));
    if (view.onDuty) out.push(h('p', {}, view.onDuty === 1 ? t('on_duty_one') : t('on_duty', { n: view.onDuty })));
    out.push(h('p', { class: 'll-hint' }, t('typing_ahead')), numbers());
    return out;
  }

  // ---- screens ------------------------------------------------------------------------------
  function go(screen: Screen) {
    state.previous = state.screen;
    state.screen = screen;
    state.notice = '';
    render(true);
  }

  function heading(text: string) {
    return h('h2', { tabindex: '-1', class: 'll-h' }, text);
  }

  function screenHome(): Child[] {
    const c = state.config;
    return [
      heading(t('title')),
      h('p', {}, t('intro')),
      c && c.onDuty === 0 ? noOneBlock() : null,
      h('div', { class: 'll-actions' }, h('button', { type: 'button', class: 'll-primary', onclick: startChat }, t('talk')), h('button', { type: 'button', class: 'll-primary', onclick: () => go('tip') }, t('tip'))),
      h('div', { class: 'll-actions' }, h('button', { type: 'button', class: 'll-link', onclick: () => go('return') }, t('have_receipt')), h('button', { type: 'button', class: 'll-link', onclick: () => go('safety') }, t('safety'))),
      c && c.onDuty !== 0 ? numbers() : null,
    ];
  }

  function screenSafety(): Child[] {
    return [heading(t('safety_title')), h('ul', { class: 'll-tips' }, ...(['safety_1', 'safety_2', 'safety_3', 'safety_4'] as Key[]).map((k) => h('li', {}, t(k)))), h('button', { type: 'button', class: 'll-secondary', onclick: () => go('home') }, t('back'))];
  }

  function screenChat(): Child[] {
    const chat = state.chat;
    if (!chat) return screenHome();
    const view = chat.view;
    if (view.phase === 'ended' || view.phase === 'failed') {
      const reason = view.phase === 'failed' ? 'failed' : view.endReason === 'truncated' ? 'truncated' : view.endReason === 'expired' ? 'expired' : 'ended';
      return [heading(t('ended_title')), h('p', { role: 'status' }, t(reason as Key)), numbers(), h('button', { type: 'button', class: 'll-primary', onclick: () => { state.chat = null; go('home'); } }, t('home'))];
    }
    const input = h('textarea', { id: 'll-message', rows: '2', maxlength: '4000', autocomplete: 'off', spellcheck: 'true' }) as HTMLTextAreaElement;
    const submit = (e: Event) => {
      e.preventDefault();
      const text = input.value.trim();
      if (text) chat.send(text);
      input.value = '';
      input.focus();
    };
    input.addEventListener('keydown', (e) => {
      if ((e as KeyboardEvent).key === 'Enter' && !(e as KeyboardEvent).shiftKey) submit(e);
    });
    return [
      heading(t('messages_label')),
      h('div', { class: 'll-status', 'aria-live': 'polite' }, ...chatStatus(view)),
      h('ol', { class: 'll-log', role: 'log', 'aria-live': 'polite', 'aria-label': t('messages_label'), tabindex: '0' }, ...view.messages.map((m) => messageNode(m, view))),
      h('form', { class: 'll-compose', onsubmit: submit }, h('label', { for: 'll-message' }, t('message_label')), input, h('button', { type: 'submit', class: 'll-primary' }, t('send'))),
      h('button', { type: 'button', class: 'll-secondary ll-end', onclick: () => chat.end() }, t('end')),
    ];
  }

  function screenTip(): Child[] {
    const cats = state.config?.tipCategories ?? [];
    const text = h('textarea', { id: 'll-tip-text', rows: '6', maxlength: '60000' }) as HTMLTextAreaElement;
    const select = h('select', { id: 'll-tip-category' }, h('option', { value: '' }, t('tip_no_category')), ...cats.map((c) => h('option', { value: c }, c))) as HTMLSelectElement;
    const submit = async (e: Event) => {
      e.preventDefault();
      const config = state.config;
      if (!config) return;
      const body = text.value;
      const category = select.value || undefined;
      go('tip-sending');
      try {
        state.receipt = await relay.submitTip(config.inbox, body, category, (stage, p) => {
          state.progress = stage === 'receipt' ? p * 0.3 : 0.3 + p * 0.7;
          const bar = panel.querySelector('progress') as HTMLProgressElement | null;
          if (bar) bar.value = Math.round(state.progress * 100);
        });
        if (state.screen === 'tip-sending') go('receipt');
      } catch {
        if (state.screen !== 'tip-sending') return;
        go('tip');
        state.notice = t('tip_error');
        render();
      }
    };
    return [
      heading(t('tip_title')),
      h('p', {}, t('tip_intro')),
      h(
        'form',
        { class: 'll-form', onsubmit: submit },
        h('label', { for: 'll-tip-text' }, t('tip_text')),
        text,
        cats.length ? h('label', { for: 'll-tip-category' }, t('tip_category')) : null,
        cats.length ? select : null,
        state.notice ? h('p', { class: 'll-error', role: 'alert' }, state.notice) : null,
        h('button', { type: 'submit', class: 'll-primary' }, t('tip_send')),
      ),
      h('button', { type: 'button', class: 'll-secondary', onclick: () => go('home') }, t('back')),
    ];
  }

  function progressScreen(label: Key): Child[] {
    const bar = h('progress', { max: '100', 'aria-label': t('pow_label') }) as HTMLProgressElement;
    bar.value = Math.round(state.progress * 100);
    return [heading(t(label)), bar];
  }

  function screenReceipt(): Child[] {
    const code = state.receipt?.display() ?? '';
    const status = h('p', { role: 'status', class: 'll-hint' });
    return [
      heading(t('receipt_title')),
      h('p', {}, t('receipt_intro')),
      h('p', { class: 'll-code', 'aria-label': t('receipt_label') + ' ' + code.split('').join(' ') }, code),
      h('p', { class: 'll-warn' }, t('receipt_write')),
      h('div', { class: 'll-actions' },
        h('button', { type: 'button', class: 'll-secondary', onclick: async () => {
          try {
            await navigator.clipboard.writeText(code);
            status.textContent = t('copied');
          } catch {
            status.textContent = '';
          }
        } }, t('copy')),
        h('button', { type: 'button', class: 'll-primary', onclick: () => { state.receipt?.wipe(); state.receipt = null; go('home'); } }, t('done')),
      ),
      status,
    ];
  }

  function screenReturn(): Child[] {
    const input = h('input', { id: 'll-receipt', type: 'text', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', 'aria-describedby': 'll-receipt-help' }) as HTMLInputElement;
    const submit = async (e: Event) => {
      e.preventDefault();
      const config = state.config;
      const parsed = Receipt.parse(input.value);
      if (!isReceipt(parsed)) {
        state.notice = parsed.kind === 'length' ? t('err_length', { n: parsed.count }) : parsed.kind === 'character' ? t('err_character', { n: parsed.position }) : t('err_check');
        render();
        (panel.querySelector('#ll-receipt') as HTMLInputElement | null)?.focus();
        return;
      }
      if (!config) return;
      state.progress = 0;
      go('tip-sending');
      (panel.querySelector('.ll-h') as HTMLElement).textContent = t('checking');
      try {
        const keys = await relay.derive(parsed);
        const replies = await relay.replies(config.inbox, keys);
        if (replies === null) {
          forget(keys);
          go('return');
          state.notice = t('not_found');
          render();
          return;
        }
        state.keys = keys;
        state.replies = replies;
        go('replies');
      } catch {
        go('return');
        state.notice = t('tip_error');
        render();
      }
    };
    return [
      heading(t('return_title')),
      h('p', { id: 'll-receipt-help' }, t('return_intro')),
      h('form', { class: 'll-form', onsubmit: submit }, h('label', { for: 'll-receipt' }, t('receipt_label')), input, state.notice ? h('p', { class: 'll-error', role: 'alert' }, state.notice) : null, h('button', { type: 'submit', class: 'll-primary' }, t('open'))),
      h('button', { type: 'button', class: 'll-secondary', onclick: () => go('home') }, t('back')),
    ];
  }

  function screenReplies(): Child[] {
    const text = h('textarea', { id: 'll-followup', rows: '4' }) as HTMLTextAreaElement;
    const status = h('p', { role: 'status', class: 'll-hint' }, state.notice);
    const submit = async (e: Event) => {
      e.preventDefault();
      if (!state.config || !state.keys || !text.value.trim()) return;
      const button = (e.target as HTMLElement).querySelector('button') as HTMLButtonElement;
      button.disabled = true;
      try {
        await relay.followUp(state.config.inbox, state.keys, text.value, () => {});
        text.value = '';
        status.textContent = t('followup_sent');
      } catch {
        status.textContent = t('tip_error');
      } finally {
        button.disabled = false;
      }
    };
    return [
      heading(t('replies_title')),
      state.replies.length ? h('ol', { class: 'll-log ll-replies' }, ...state.replies.map((r) => h('li', { class: 'll-msg ll-them' }, h('span', { class: 'll-text' }, r)))) : h('p', {}, t('no_replies')),
      h('form', { class: 'll-form', onsubmit: submit }, h('label', { for: 'll-followup' }, t('followup_label')), text, h('button', { type: 'submit', class: 'll-primary' }, t('followup_send'))),
      status,
      h('button', { type: 'button', class: 'll-secondary', onclick: () => { if (state.keys) forget(state.keys); state.keys = null; state.replies = []; go('home'); } }, t('home')),
    ];
  }

  function screenError(): Child[] {
    return [heading(t('title')), h('p', { class: 'll-error', role: 'alert' }, t('config_error')), numbers(), h('button', { type: 'button', class: 'll-primary', onclick: loadConfig }, t('retry'))];
  }

  function render(moveFocus = false) {
    if (exiting) return;
    const table = LOCALES[state.lang];
    host.setAttribute('lang', state.lang);
    host.setAttribute('dir', table._dir === 'rtl' ? 'rtl' : 'ltr');
    if (mode === 'page') {
      document.documentElement.lang = state.lang;
      document.documentElement.dir = table._dir === 'rtl' ? 'rtl' : 'ltr';
      document.title = t('title');
    }
    if (launcher) launcher.textContent = t('launcher');
    if (outerExit) outerExit.textContent = t('quick_exit');
    panel.setAttribute('aria-label', t('title'));
    // keep what the visitor typed and where they were across a re-render (language switch)
    const kept = new Map<string, string>();
    panel.querySelectorAll('textarea, input[type=text]').forEach((el) => kept.set(el.id, (el as HTMLInputElement).value));
    const focused = document.activeElement && panel.contains(document.activeElement) ? document.activeElement.id : '';

    const exit = h('button', { type: 'button', class: 'll-exit', onclick: quickExit }, t('quick_exit'));
    const langSelect = h('select', { id: 'll-lang', onchange: (e: Event) => { state.lang = pickLang((e.target as HTMLSelectElement).value); render(); (panel.querySelector('#ll-lang') as HTMLElement | null)?.focus(); } }, ...LANGS.map((l) => h('option', { value: l, lang: l, selected: l === state.lang }, LOCALES[l]._name)));
    const top = h(
      'div',
      { class: 'll-top' },
      exit,
      h('div', { class: 'll-lang' }, h('label', { for: 'll-lang' }, t('language')), langSelect),
      launcher ? h('button', { type: 'button', class: 'll-close', onclick: () => togglePanel(false) }, t('close_panel')) : null,
    );
    const screens: Record<Screen, () => Child[]> = {
      loading: () => [heading(t('loading'))],
      home: screenHome,
      safety: screenSafety,
      chat: screenChat,
      tip: screenTip,
      'tip-sending': () => progressScreen('tip_sending'),
      receipt: screenReceipt,
      return: screenReturn,
      replies: screenReplies,
      error: screenError,
    };
    const main = h('div', { class: 'll-body' }, ...screens[state.screen]());
    panel.replaceChildren(top, h('p', { class: 'll-hint ll-exit-hint' }, t('quick_exit_hint')), main);
    for (const [id, value] of kept) {
      const el = panel.querySelector('#' + id) as HTMLInputElement | null;
      if (el && value) el.value = value;
    }
    const log = panel.querySelector('.ll-log');
    if (log) log.scrollTop = log.scrollHeight;
    if (moveFocus) (panel.querySelector('.ll-h') as HTMLElement | null)?.focus();
    else if (focused) (panel.querySelector('#' + focused) as HTMLElement | null)?.focus();
  }

  async function loadConfig() {
    state.screen = 'loading';
    render();
    // The first screen does not take the focus: Tab starts at the quick exit.
    const first = state.previous === 'home' && state.screen === 'loading';
    try {
      state.config = await relay.config();
      state.screen = 'home';
    } catch {
      state.screen = 'error';
    }
    render(!first);
  }

  render();
  void loadConfig().then(() => {
    if (state.config?.resumeInSessionStorage) endStaleSession();
  });
  if (mode === 'launcher' && location.hash === '#lifeline') togglePanel(true);
}

if (typeof document === 'undefined') {
  runWorker(self as unknown as Parameters<typeof runWorker>[0]);
} else {
  const script = document.currentScript as HTMLScriptElement | null;
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => boot(script));
  else boot(script);
}
