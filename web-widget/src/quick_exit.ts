// Quick exit: the button, Esc and Shift ×3 wipe everything the widget holds and leave for
// the neutral page with location.replace (so Back does not return). It must never wait on
// the network or ask for confirmation: the visitor may have seconds.
import { forgetResumeToken } from './screens/chat';
import type { State } from './state';
import { httpUrl } from './snippet';
import { forget } from './tips';

/**
 * Forgets everything the widget holds of the visit: the chat and its log, a tip's work and
 * draft, the receipt and its keys, replies, the config. The quick exit calls it, and so does
 * `pagehide`: a host page kept in the back/forward cache would otherwise bring it all back on
 * Back.
 */
export function wipeAll(state: State): void {
  try {
    state.chat?.wipeNow();
  } catch {
    /* leaving anyway */
  }
  state.tipWork?.cancel();
  const config = state.config;
  config?.ticket?.search?.stop();
  // a search still waiting for idle time (chat-presearch.ts) then finds no ticket to start
  if (config) config.ticket = undefined;
  if (state.keys) forget(state.keys);
  state.receipt?.wipe();
  forgetResumeToken();
  state.tipDraft.text = '';
  // what is under way (a config loading, a follow-up's search) stops and sends nothing more
  state.life.abort();
  Object.assign(state, { chat: null, tipWork: null, keys: null, receipt: null, replies: [], config: null, tipDraft: { text: '', category: '' }, screen: 'loading', life: new AbortController() });
}

export interface QuickExit {
  /** Leaves now; safe to call twice. */
  leave(): void;
  /** True once leaving started: nothing may draw after that. */
  readonly leaving: boolean;
}

/**
 * `fullPage`: Esc anywhere leaves. Embedded, Esc leaves only when the focus is in the widget:
 * on the host page Esc closes a menu or a dialog, and must not wipe a live chat. Shift ×3
 * leaves from anywhere, as it cannot happen by accident while typing.
 */
export function quickExit(state: State, host: HTMLElement, exitUrl: string | undefined, fullPage: boolean): QuickExit {
  let leaving = false;
  const leave = () => {
    if (leaving) return;
    leaving = true;
    // The organisation's page (data-exit-url) is trusted over the relay's config, and only an
    // http(s) URL is followed: a rogue relay's `javascript:` would otherwise run in the page.
    const target = httpUrl(exitUrl) || httpUrl(state.config?.neutralUrl) || 'about:blank';
    wipeAll(state);
    host.remove();
    document.title = '';
    location.replace(target);
  };
  // Shift ×3 counts only three presses in a row: a click, another key or an input method at
  // work between them starts the count again, so writing never leaves by accident.
  let shifts: number[] = [];
  const again = () => (shifts = []);
  document.addEventListener(
    'keydown',
    (e) => {
      // An input method's keys (Esc cancels a composition; 229 is its "Process") are writing, not for us.
      if (e.isComposing || e.keyCode === 229) return again();
      if (e.key === 'Shift') {
        if (e.repeat) return; // held down: still the one press
        const now = Date.now();
        shifts = shifts.filter((x) => now - x < 1500);
        shifts.push(now);
        if (shifts.length >= 3) leave();
        return;
      }
      again();
      if (e.key === 'Escape' && (fullPage || host.contains(document.activeElement))) {
        e.preventDefault();
        leave();
      }
    },
    true,
  );
  for (const type of ['pointerdown', 'compositionstart']) document.addEventListener(type, again, true);
  return {
    leave,
    get leaving() {
      return leaving;
    },
  };
}
