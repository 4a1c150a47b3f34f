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
import { fromB64url } from './crypto/encoding';
import { append, h } from './dom';
import { chooseLang, Key, languageLabels, LANGS, LOCALES, pickLang, translate } from './i18n';
import { runWorker, workerSolver } from './pow-solver';
import { quickExit } from './quick_exit';
import { chatScreen, endStaleSession } from './screens/chat';
import { errorScreen } from './screens/error';
import { homeScreen } from './screens/home';
import { receiptScreen } from './screens/receipt';
import { repliesScreen } from './screens/replies';
import { returnScreen } from './screens/returning';
import { safetyScreen } from './screens/safety';
import { progressScreen, tipScreen } from './screens/tip';
import { heading } from './screens/common';
import { parseNumbers, httpUrl } from './snippet';
import { initialState, Screen, ScreenView, Widget } from './state';
import { Relay } from './tips';

declare const __CSS_INTEGRITY__: string;

const SCREENS: Record<Screen, ScreenView> = {
  loading: (w) => [heading(w.t('loading'))],
  home: homeScreen,
  safety: safetyScreen,
  chat: (w) => (w.state.chat ? chatScreen(w) : homeScreen(w)),
  tip: tipScreen,
  'tip-sending': (w) => progressScreen(w),
  receipt: receiptScreen,
  return: returnScreen,
  replies: repliesScreen,
  error: errorScreen,
};

/** The stylesheet, with its own integrity hash baked in at build time. */
function loadStylesheet(scriptUrl: string) {
  if (document.querySelector('link[data-lifeline]')) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = new URL('lifeline.css', scriptUrl).href;
  link.integrity = __CSS_INTEGRITY__;
  link.crossOrigin = 'anonymous';
  link.dataset.lifeline = '';
  document.head.append(link);
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
  const panel = h('section', { class: 'll-panel', id: 'lifeline-panel' });
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

  const w: Widget = {
    state,
    panel,
    relay,
    base,
    org,
    solve,
    revocationMaxAge: maxAge,
    snippetNumbers: parseNumbers(data.numbers),
    tipUrl: httpUrl(data.tipUrl),
    t,
    go(screen: Screen) {
      state.previous = state.screen;
      state.screen = screen;
      state.notice = '';
      render(true);
    },
    render: (moveFocus) => render(moveFocus),
    loadConfig: () => void loadConfig(),
  };

  function frame(): HTMLElement {
    const langSelect = h('select', { id: 'll-lang', onchange: (e: Event) => { state.lang = pickLang((e.target as HTMLSelectElement).value); render(); (panel.querySelector('#ll-lang') as HTMLElement | null)?.focus(); } }, ...LANGS.map((l) => h('option', { value: l, lang: l, selected: l === state.lang }, LOCALES[l]._name)));
    return h(
      'div',
      { class: 'll-top' },
      h('button', { type: 'button', class: 'll-exit', onclick: exit.leave }, t('quick_exit')),
      // Labelled in every language: a visitor may not read the one shown.
      h('div', { class: 'll-lang' }, h('label', { for: 'll-lang' }, ...languageLabels().flatMap(({ lang, text }, i) => [i ? ' · ' : '', h('span', { lang }, text)])), langSelect),
      launcher ? h('button', { type: 'button', class: 'll-close', onclick: () => togglePanel(false) }, t('close_panel')) : null,
    );
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
    const focused = document.activeElement && panel.contains(document.activeElement) ? document.activeElement.id : '';
    const body = h('div', { class: 'll-body' });
    append(body, SCREENS[state.screen](w));
    panel.replaceChildren(frame(), h('p', { class: 'll-hint ll-exit-hint' }, t('quick_exit_hint')), body);
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

  // Leaving the page (or the tab going to the back/forward cache) forgets the receipt too.
  addEventListener('pagehide', () => {
    state.receipt?.wipe();
    state.receipt = null;
    if (state.screen === 'receipt') w.go('home');
  });
  render();
  void loadConfig().then(() => {
    if (state.config?.resumeInSessionStorage) endStaleSession(base);
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
