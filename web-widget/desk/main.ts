// The desk page: one socket to the coordinator's own `lifeline desk` process, which holds
// the keys and the shift. Each snapshot redraws the page; a lock or the start screen wipes
// it. Nothing is stored in the browser: no storage API is used, and the server says
// `no-store` on everything.
import { h } from './dom';
import { ask, connect, FromDesk, State } from './api';
import { alertsOn, ring, toggleAlerts } from './alerts';
import { chats, tickDurations } from './chats';
import { clearComposer, sendDraft } from './composer';
import { askFirst, closePickers, pickColleague, pickResource } from './pickers';
import { pageLang, t, worded } from './strings';
import { message, unlockNews, unlockScreen, wipe } from './unlock';
import { tips } from './tips';

const app = document.getElementById('app') as HTMLElement;
const live = document.getElementById('live') as HTMLElement;
document.documentElement.lang = pageLang;
document.title = t('title');
// The launch token is dead once used: it leaves the address bar and the history entry.
if (location.pathname !== '/') history.replaceState(null, '', '/');

let state: State | null = null;
let screenKey = '';

function header(s: State): HTMLElement {
  const unread = s.conversations.reduce((n, c) => n + c.unread, 0);
  return h(
    'header',
    { class: 'bar' },
    h('h1', {}, t('title')),
    h('span', { class: 'who' }, s.alias),
    s.fingerprint ? h('span', { class: 'meta' }, t('key', { f: s.fingerprint })) : null,
    s.renew_days !== null ? h('span', { class: 'pill off', title: worded({ certificate_expiring: { days_left: s.renew_days } }) }, t('renewIn', { n: s.renew_days })) : null,
    h('span', { class: s.connected ? (s.on_duty ? 'pill on' : 'pill') : 'pill off' }, s.connected ? (s.on_duty ? t('onDuty') : t('offDuty')) : t('offline')),
    h('button', { type: 'button', 'data-key': 'duty', 'aria-pressed': String(s.on_duty), onclick: () => ask({ type: 'duty', on: !s.on_duty }) }, s.on_duty ? t('goOff') : t('goOn')),
    h(
      'nav',
      { class: 'tabs', 'aria-label': t('title') },
      h('button', { type: 'button', 'data-key': 'tab-chats', 'aria-current': s.screen === 'chats' ? 'page' : undefined, onclick: () => ask({ type: 'show', screen: 'chats' }) }, t('chats'), unread ? ` (${unread})` : ''),
      h('button', { type: 'button', 'data-key': 'tab-tips', 'aria-current': s.screen === 'tips' ? 'page' : undefined, onclick: () => ask({ type: 'show', screen: 'tips' }) }, t('tips'), s.tips.length ? ` (${s.tips.length})` : ''),
    ),
    h(
      'button',
      {
        type: 'button',
        'data-key': 'alerts',
        'aria-pressed': String(alertsOn()),
        title: t('alertsHint'),
        onclick: () => {
          toggleAlerts();
          if (state) draw(state);
        },
      },
      alertsOn() ? t('alertsOn') : t('alertsOff'),
    ),
    h('button', { type: 'button', 'data-key': 'lock', onclick: () => ask({ type: 'lock' }) }, t('lock')),
    h(
      'button',
      {
        type: 'button',
        class: 'danger',
        'data-key': 'quit',
        onclick: () => {
          askFirst(t('confirmEndShift'), t('endShift'), () => ask({ type: 'quit' }));
        },
      },
      t('endShift'),
    ),
  );
}

/**
 * A claim or a conversation switch asked from the keyboard (Alt+N, Alt+1…9): once that
 * conversation shows, its message box takes the focus, so the words typed next go into it
 * rather than nowhere (the box is drawn anew by a later snapshot, so it cannot be focused at
 * the key press). `from`: the conversation shown at the key press, which a claim moves away
 * from; `to`: the one asked for by a switch. Forgotten after a while, or at a click.
 */
let focusNext: { from: string | null; to: string | null; until: number } | null = null;
addEventListener('pointerdown', () => (focusNext = null), true);

function shownSession(s: State): string | null {
  return s.selected && 'conversation' in s.selected ? s.selected.conversation : null;
}

/** Focuses the message box if the conversation asked for from the keyboard now shows. */
function focusAsked(s: State): void {
  const want = focusNext;
  if (!want) return;
  if (performance.now() > want.until) {
    focusNext = null;
    return;
  }
  const shown = shownSession(s);
  if (s.screen !== 'chats' || shown === null || (want.to !== null ? shown !== want.to : shown === want.from)) return;
  focusNext = null;
  const field = document.getElementById('draft');
  if (field instanceof HTMLTextAreaElement && !field.disabled) field.focus({ preventScroll: true });
}

/** When the shift was last drawn: the durations shown count on from there. */
let drawnAt = performance.now();
setInterval(() => tickDurations(Math.floor((performance.now() - drawnAt) / 1000)), 1000);

/** Redraws the shift, keeping focus, the caret and the transcript's scroll where they were. */
function draw(s: State): void {
  drawnAt = performance.now();
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.key;
  const old = document.getElementById('transcript');
  const atBottom = !old || old.scrollTop + old.clientHeight >= old.scrollHeight - 4;
  const scroll = old?.scrollTop ?? 0;
  const field = document.getElementById('draft') as HTMLTextAreaElement | null;
  const caret = field ? [field.selectionStart, field.selectionEnd] : null;
  const typed = field?.value;
  const body = s.screen === 'chats' ? chats(s) : tips(s);
  app.replaceChildren(header(s), h('main', { class: 'desk' }, ...body), h('footer', { class: 'help' }, t('shortcuts')));
  const transcript = document.getElementById('transcript');
  if (transcript) transcript.scrollTop = atBottom ? transcript.scrollHeight : scroll;
  if (focused) {
    const again = app.querySelector<HTMLElement>(`[data-key="${CSS.escape(focused)}"]`);
    again?.focus({ preventScroll: true });
    // The caret stays where it was, unless the desk changed the text (then at its end).
    if (again instanceof HTMLTextAreaElement && caret && again.value === typed) again.setSelectionRange(caret[0], caret[1]);
  }
  focusAsked(s);
  const said = worded(s.status);
  if (live.textContent !== said) live.textContent = said;
}

/** Forgets everything shown: at the lock, at the start screen, at the end. */
function forget(): void {
  state = null;
  closePickers();
  clearComposer();
  wipe(app);
}

function onMessage(m: FromDesk): void {
  switch (m.type) {
    case 'starting':
      if (screenKey === 'start' && unlockNews(m.error, m.retry_in)) break;
      forget();
      screenKey = 'start';
      unlockScreen(app, { title: t('unlockTitle'), text: m.keys === 'development' ? t('unlockDev') : t('unlockIdentity'), twice: m.keys === 'development', inbox: m.inbox_sealed, error: m.error, retryIn: m.retry_in });
      break;
    case 'locked':
      if (screenKey === 'locked' && unlockNews(m.failed ? 'wrong_passphrase' : null, m.retry_in)) break;
      forget();
      screenKey = 'locked';
      unlockScreen(app, { title: t('lockedTitle'), text: t('lockedText'), twice: false, inbox: false, error: m.failed ? 'wrong_passphrase' : null, retryIn: m.retry_in });
      break;
    case 'state':
      screenKey = 'state';
      state = m;
      draw(m);
      break;
    case 'bell':
      ring();
      break;
    case 'ended':
      forget();
      screenKey = 'ended';
      message(app, t('endedTitle'), t(m.why === 'signed_in_elsewhere' ? 'endedElsewhereText' : 'endedText'));
      break;
  }
}

// Any key, touch or turn of the wheel keeps the idle lock away (at most one word every 5 s).
// Not `scroll`: new messages scroll the page by themselves, and an unwatched desk must lock.
let lastTouch = 0;
const touch = () => {
  const now = Date.now();
  if (state && now - lastTouch > 5000) {
    lastTouch = now;
    ask({ type: 'touch' });
  }
};
addEventListener('keydown', touch, true);
addEventListener('pointerdown', touch, true);
addEventListener('wheel', touch, { capture: true, passive: true });

addEventListener('keydown', (e) => {
  const s = state;
  if (!s || !e.altKey || e.ctrlKey || e.metaKey) return;
  const shown = s.selected && 'conversation' in s.selected ? s.conversations.find((c) => c.session === (s.selected as { conversation: string }).conversation) : undefined;
  const key = e.key.toLowerCase();
  const digit = /^Digit([1-9])$/.exec(e.code);
  let done = true;
  if (digit) {
    const c = s.conversations.find((c) => c.number === Number(digit[1]));
    if (c) {
      focusNext = { from: shownSession(s), to: c.session, until: performance.now() + 10000 };
      ask({ type: 'select_conversation', session: c.session });
      // Already shown: no new snapshot need come.
      focusAsked(s);
    }
  } else if (e.code === 'KeyN') {
    focusNext = { from: shownSession(s), to: null, until: performance.now() + 10000 };
    ask({ type: 'claim_next' });
  }
  else if (e.code === 'KeyD') ask({ type: 'duty', on: !s.on_duty });
  else if (e.code === 'KeyL') ask({ type: 'lock' });
  else if (e.code === 'KeyK') ask({ type: 'show', screen: s.screen === 'chats' ? 'tips' : 'chats' });
  else if (e.code === 'KeyR' && shown && shown.writable === null) pickResource({ conversation: shown.session }, s.resources);
  else if (e.code === 'KeyT' && shown && shown.transferable === null) pickColleague(shown.session, s.colleagues, shown.handover_note);
  else if (key === 'enter') sendDraft();
  else done = false;
  if (done) e.preventDefault();
});

connect(onMessage, () => {
  // After the end of the shift the process stops: its "over" screen stays.
  if (screenKey === 'ended') return;
  forget();
  message(app, t('title'), t('lost'));
});
message(app, t('title'), t('starting'));
