// Lifeline visitor widget. One <script> tag embeds it:
//
//   <script src="https://org.example/widget/lifeline.js" integrity="sha384-…" crossorigin="anonymous"
//           data-organisation="<base64url Ed25519 public key>" data-relay="https://relay.example"
//           data-lang="en" data-mode="launcher|page"></script>
//
// This file boots the widget and draws the frame (quick exit, language, launcher) around the
// current screen (screens/*.ts). It stores nothing (sessionStorage for the resume token only
// when the operator enables it), makes no request but to the relay, uses no inline script or
// style and no eval, and never reads anything from the host page but its own tag's data-* and the page's lang.
import { presearch } from './chat-presearch';
import { CertError } from './crypto/certificate';
import { fromB64url } from './crypto/encoding';
import { append, h } from './dom';
import type { Child } from './dom';
import { workerSolver } from './pow-solver';
import { quickExit, wipeAll } from './quick_exit';
import { chatScreen, endStaleSession } from './screens/chat';
import { errorScreen } from './screens/error';
import { homeScreen } from './screens/home';
import { receiptScreen } from './screens/receipt';
import { repliesScreen } from './screens/replies';
import { openingScreen, returnScreen } from './screens/returning';
import { safetyScreen } from './screens/safety';
import { tipScreen, tipSendingScreen } from './screens/tip';
import { heading, numbers } from './screens/common';
import { httpUrl, offRelay, parseNumbers } from './snippet';
import { initialState, Screen, ScreenView, Widget } from './state';
import { Relay } from './tips';
import { leaveTip } from './tip-work';
// Last: the bundle then places the locale tables right after the screens, and en.json's keys
// within gzip's reach of the same keys in the screens' code (about 110 bytes gzipped).
import { chooseLang, Key, languageLabels, LANGS, LOCALES, pickLang, translate } from './i18n';

declare const __CSS_INTEGRITY__: string;

const SCREENS: Record<Screen, ScreenView> = {
  // the numbers stay on screen from the server-drawn page to the home screen
  loading: (w) => [heading(w.t('loading')), numbers(w)],
  home: homeScreen,
  safety: safetyScreen,
  chat: (w) => (w.state.chat ? chatScreen(w) : homeScreen(w)),
  tip: tipScreen,
  'tip-sending': tipSendingScreen,
  receipt: receiptScreen,
  return: returnScreen,
  opening: openingScreen,
  replies: repliesScreen,
  error: errorScreen,
};

/** At /help the page is the widget's own: each screen's heading is the page's h1. */
function pageHeading(views: Child[]): void {
  const i = views.findIndex((v) => v instanceof HTMLElement && v.classList.contains('ll-h'));
  if (i < 0) return;
  const old = views[i] as HTMLElement;
  const h1 = h('h1', { tabindex: '-1', class: 'll-h', 'aria-describedby': old.getAttribute('aria-describedby') ?? false });
  h1.append(...old.childNodes);
  views[i] = h1;
}

/** The stylesheet, with its own integrity hash baked in at build time. */
function loadStylesheet(scriptUrl: string) {
  if (document.querySelector('link[data-lifeline]')) return;
  document.head.append(h('link', { rel: 'stylesheet', href: new URL('lifeline.css', scriptUrl).href, integrity: __CSS_INTEGRITY__, crossorigin: 'anonymous', 'data-lifeline': '' }));
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Tab and Shift+Tab cycle inside the open launcher panel: it is a modal dialog. */
function trapFocus(panel: HTMLElement, e: KeyboardEvent) {
  if (e.key !== 'Tab') return;
  const items = [...panel.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.getClientRects().length > 0);
  if (!items.length) return;
  const first = items[0];
  const last = items[items.length - 1];
  const at = document.activeElement;
  if (e.shiftKey && (at === first || !panel.contains(at))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && at === last) {
    e.preventDefault();
    first.focus();
  }
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
  // A typo here once failed every load with a generic error and took the fallback away:
  // the snippet's own numbers and tip link stay, and the console says what to fix.
  if (!Number.isSafeInteger(maxAge) || maxAge <= 0) {
    console.error('lifeline: data-revocation-max-age must be a whole number of seconds');
    return;
  }
  const solve = workerSolver(scriptUrl);
  const relay = new Relay(base, org, (u, i) => fetch(u, { ...i, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' }), solve, undefined, maxAge);
  // The snippet's plain-HTML fallback (numbers, tip link) stood in for us until now.
  document.querySelectorAll('[data-lifeline-fallback]').forEach((el) => el.remove());
  // Embedded, the host page's language counts; the full page is the widget's own, so there
  // only the snippet's data-lang and then the browser's languages do.
  const hostLang = mode === 'launcher' ? document.documentElement.lang : undefined;
  const state = initialState(chooseLang(data.lang, hostLang, navigator.languages ?? [navigator.language]));
  const t = (k: Key, v?: Record<string, string | number>) => translate(state.lang, k, v);
  if (scriptUrl) loadStylesheet(scriptUrl);

  const host = h('div', { class: 'lifeline lifeline-' + mode, 'data-lifeline-root': '' });
  // The full page is the widget's own: its panel is the page's main landmark.
  const panel = h(mode === 'page' ? 'main' : 'section', { class: 'll-panel', id: 'lifeline-panel' });
  // The panel's parts, built once: a render replaces the top bar and the screen's body.
  let top: HTMLElement = h('div');
  const body = h('div', { class: 'll-body' });
  panel.append(top, h('p', { class: 'll-hint ll-exit-hint' }), body);
  const exit = quickExit(state, host, data.exitUrl, mode === 'page');
  let launcher: HTMLElement | null = null;
  let outerExit: HTMLElement | null = null;
  if (mode === 'launcher') {
    panel.hidden = true;
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-modal', 'true');
    panel.addEventListener('keydown', (e) => trapFocus(panel, e));
    // The quick exit stays visible while the panel is closed too.
    outerExit = h('button', { type: 'button', class: 'll-exit ll-exit-fixed', onclick: exit.leave });
    launcher = h('button', { type: 'button', class: 'll-launcher', 'aria-expanded': 'false', 'aria-controls': 'lifeline-panel', onclick: () => togglePanel(true) });
    host.append(outerExit, launcher);
  }
  host.append(panel);
  document.body.append(host);

  // The open launcher is modal: everything else on the page (the host's own content, our
  // launcher and outer quick exit) is inert, so neither Tab nor a screen reader reaches it.
  let madeInert: Element[] = [];
  function setBackgroundInert(inert: boolean) {
    for (const el of madeInert) el.removeAttribute('inert');
    madeInert = [];
    if (!inert) return;
    const behind = [...document.body.children, ...host.children].filter((el) => el !== host && el !== panel && !el.hasAttribute('inert'));
    for (const el of behind) el.setAttribute('inert', '');
    madeInert = behind;
  }

  function togglePanel(open: boolean) {
    if (!launcher) return;
    setBackgroundInert(open);
    panel.hidden = !open;
    if (outerExit) outerExit.hidden = open;
    launcher.setAttribute('aria-expanded', String(open));
    if (open) {
      render();
      (panel.querySelector('h1, h2') as HTMLElement | null)?.focus();
    } else launcher.focus();
  }

  const w: Widget = {
    state,
    panel,
    relay,
    base,
    org,
    solve,
    revocationMaxAge: maxAge,
    snippetNumbers: parseNumbers(data.numbers),
    tipUrl: offRelay(httpUrl(data.tipUrl), base, location.href),
    t,
    go(screen: Screen) {
      leaveTip(state, screen);
      state.previous = state.screen;
      state.screen = screen;
      state.notice = '';
      render(true);
    },
    render: (moveFocus) => render(moveFocus),
    loadConfig: () => void loadConfig(),
  };

  function frame(): HTMLElement {
    const langSelect = languageSelect();
    return h(
      'div',
      { class: 'll-top' },
      h('button', { type: 'button', class: 'll-exit', onclick: exit.leave }, t('quick_exit')),
      // Labelled in every language: a visitor may not read the one shown.
      h('div', { class: 'll-lang' }, h('label', { for: 'll-lang' }, ...languageLabels().flatMap(({ lang, text }, i) => [i ? ' · ' : '', h('span', { lang }, text)])), langSelect),
      launcher ? h('button', { type: 'button', class: 'll-close', onclick: () => togglePanel(false) }, t('close_panel')) : null,
    );
  }

  /**
   * The language switch. A click or the opened list applies at once; on the closed select the
   * arrow keys only move the choice, and Enter applies it (Chromium fires `change` on each
   * arrow, which would redraw the whole interface in another language under the visitor).
   */
  function languageSelect(): HTMLSelectElement {
    let byKeys = false;
    const apply = () => {
      byKeys = false;
      if (select.value === state.lang) return;
      state.lang = pickLang(select.value);
      render();
      (panel.querySelector('#ll-lang') as HTMLElement | null)?.focus();
    };
    const select = h(
      'select',
      {
        id: 'll-lang',
        onkeydown: (e: Event) => {
          const key = (e as KeyboardEvent).key;
          if (key === 'Enter') {
            e.preventDefault();
            apply();
          } else if ((e as KeyboardEvent).altKey || key === 'F4' || key === ' ') byKeys = false; // opens the list: a pick there applies
          else if (key !== 'Tab') byKeys = true;
        },
        onchange: () => (byKeys ? undefined : apply()),
        onblur: () => {
          // left without Enter: the choice was not made
          if (byKeys) select.value = state.lang;
          byKeys = false;
        },
      },
      ...LANGS.map((l) => h('option', { value: l, lang: l, selected: l === state.lang }, LOCALES[l]._name)),
    ) as HTMLSelectElement;
    return select;
  }

  function render(moveFocus = false) {
    if (exit.leaving) return;
    const dir = LOCALES[state.lang]._dir === 'rtl' ? 'rtl' : 'ltr';
    host.setAttribute('lang', state.lang);
    host.setAttribute('dir', dir);
    if (mode === 'page') {
      document.documentElement.lang = state.lang;
      document.documentElement.dir = dir;
      // The tab title stays the host page's own (neutral, configurable at /help): it is kept
      // in the history and session-restore files after the visitor leaves.
    }
    if (launcher) launcher.textContent = t('launcher');
    if (outerExit) outerExit.textContent = t('quick_exit');
    panel.setAttribute('aria-label', t('title'));
    // keep what the visitor typed and where they were across a re-render (language switch)
    const kept = new Map<string, string>();
    panel.querySelectorAll('textarea, input[type=text]').forEach((el) => kept.set(el.id, (el as HTMLInputElement).value));
    const wasInside = !!document.activeElement && panel.contains(document.activeElement);
    const focused = wasInside ? (document.activeElement as HTMLElement).id : '';
    const next = frame();
    top.replaceWith(next);
    top = next;
    (top.nextElementSibling as HTMLElement).textContent = t('quick_exit_hint');
    const views = SCREENS[state.screen](w);
    if (mode === 'page') pageHeading(views);
    body.replaceChildren();
    append(body, views);
    for (const [id, value] of kept) {
      const el = panel.querySelector('#' + id) as HTMLInputElement | null;
      if (el && value) el.value = value;
    }
    const log = panel.querySelector('.ll-log');
    if (log) log.scrollTop = log.scrollHeight;
    const restored = !moveFocus && focused ? (panel.querySelector('#' + focused) as HTMLElement | null) : null;
    restored?.focus();
    // The element that held the focus is gone (a screen change, a button that went away): the
    // new heading takes it, never <body>.
    if (moveFocus || (wasInside && !panel.contains(document.activeElement))) (panel.querySelector('.ll-h') as HTMLElement | null)?.focus();
  }

  async function loadConfig() {
    const { signal } = state.life;
    state.screen = 'loading';
    render();
    // The first screen does not take the focus: Tab starts at the quick exit.
    const first = state.previous === 'home' && state.screen === 'loading';
    state.config?.ticket?.search?.stop();
    let config = null;
    try {
      config = await relay.config();
    } catch (e) {
      state.listRefused = e instanceof CertError && (e.code === 'missing_revocations' || e.code === 'stale_revocations');
    }
    // Wiped meanwhile (the quick exit, the page hidden): nothing is kept, drawn or searched.
    if (signal.aborted) return;
    state.config = config;
    state.screen = config ? 'home' : 'error';
    if (config) presearch(config, workerSolver(scriptUrl, false));
    render(!first);
  }

  // Leaving the page wipes everything, as the quick exit does (without going anywhere), and
  // draws the loading screen over what was shown: a host page kept in the back/forward cache
  // must not bring replies, a chat, keys or a draft back on Back. Shown again from that
  // cache, the widget starts afresh.
  addEventListener('pagehide', () => {
    wipeAll(state);
    render();
  });
  addEventListener('pageshow', (e) => e.persisted && loadConfig());
  render();
  void loadConfig().then(() => {
    if (state.config?.resumeInSessionStorage) endStaleSession(base);
  });
  if (mode === 'launcher' && location.hash === '#lifeline') togglePanel(true);
}

const script = document.currentScript as HTMLScriptElement | null;
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => boot(script));
else boot(script);
