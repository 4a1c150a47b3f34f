// Quick exit: the button, Esc and Shift ×3 wipe everything the widget holds and leave for
// the neutral page with location.replace (so Back does not return). It must never wait on
// the network or ask for confirmation: the visitor may have seconds.
import { forgetResumeToken } from './screens/chat';
import type { State } from './state';
import { forget } from './tips';

export interface QuickExit {
  /** Leaves now; safe to call twice. */
  leave(): void;
  /** True once leaving started: nothing may draw after that. */
  readonly leaving: boolean;
}

export function quickExit(state: State, host: HTMLElement, exitUrl: string | undefined): QuickExit {
  let leaving = false;
  const leave = () => {
    if (leaving) return;
    leaving = true;
    const target = state.config?.neutralUrl || exitUrl || 'about:blank';
    try {
      state.chat?.wipeNow();
    } catch {
      /* leaving anyway */
    }
    if (state.keys) forget(state.keys);
    state.receipt?.wipe();
    forgetResumeToken();
    Object.assign(state, { chat: null, keys: null, receipt: null, replies: [], config: null });
    host.remove();
    document.title = '';
    location.replace(target);
  };
  let shifts: number[] = [];
  document.addEventListener(
    'keydown',
    (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        leave();
      } else if (e.key === 'Shift' && !e.repeat) {
        const now = Date.now();
        shifts = shifts.filter((x) => now - x < 1500);
        shifts.push(now);
        if (shifts.length >= 3) leave();
      } else shifts = [];
    },
    true,
  );
  return {
    leave,
    get leaving() {
      return leaving;
    },
  };
}
