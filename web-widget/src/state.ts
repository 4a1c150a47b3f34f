// What the widget knows at one moment, and the narrow interface the screens use to act on
// it. Everything here lives in memory only: nothing may be written to any browser storage
// (the resume token in sessionStorage, when the operator enables it, is the one exception and
// lives in screens/chat.ts).
import type { Chat } from './chat';
import type { Receipt, ReceiptKeys } from './crypto/receipt';
import type { Child } from './dom';
import type { Key } from './i18n';
import type { PublicConfig, Relay } from './tips';
import type { Solver } from './chat';
import type { TipWork } from './tip-work';

export interface HelpNumber {
  label: string;
  number: string;
  /** The label in other languages (language tag → text). */
  labels?: Record<string, string>;
}

export type Screen = 'home' | 'safety' | 'chat' | 'tip' | 'tip-sending' | 'receipt' | 'return' | 'opening' | 'replies' | 'error' | 'loading';

export interface State {
  screen: Screen;
  lang: string;
  config: PublicConfig | null;
  /** The config was refused for want of a fresh revocation list: the error screen says so. */
  listRefused: boolean;
  chat: Chat | null;
  receipt: Receipt | null;
  keys: ReceiptKeys | null;
  replies: string[];
  progress: number;
  notice: string;
  previous: Screen;
  /** A tip being written or sent: kept until the relay confirms it, so no word is lost. */
  tipDraft: { text: string; category: string };
  /** The receipt and proof-of-work of the tip being written, prepared while it is. */
  tipWork: TipWork | null;
  /** Aborted by the wipe (quick exit, page hidden), then replaced: work begun before it must not act after. */
  life: AbortController;
}

export function initialState(lang: string): State {
  return { screen: 'loading', lang, config: null, listRefused: false, chat: null, receipt: null, keys: null, replies: [], progress: 0, notice: '', previous: 'home', tipDraft: { text: '', category: '' }, tipWork: null, life: new AbortController() };
}

/** What a screen may use: the state, strings, navigation and the relay. */
export interface Widget {
  readonly state: State;
  readonly panel: HTMLElement;
  readonly relay: Relay;
  /** The relay's origin, for the visitor WebSocket. */
  readonly base: string;
  readonly org: Uint8Array;
  readonly solve: Solver;
  readonly revocationMaxAge: number;
  /** The help numbers the embed snippet carries: shown even when the relay never answers. */
  readonly snippetNumbers: HelpNumber[];
  /** The snippet's link to a tip page, for when the relay cannot take a tip itself (never one on the relay: `offRelay`). */
  readonly tipUrl: string | null;
  t(key: Key, vars?: Record<string, string | number>): string;
  /** Shows another screen and moves the focus to its heading. */
  go(screen: Screen): void;
  /** Redraws the current screen, keeping what was typed and where the focus was. */
  render(moveFocus?: boolean): void;
  loadConfig(): void;
}

/** A screen draws itself from the widget's state. */
export type ScreenView = (w: Widget) => Child[];
