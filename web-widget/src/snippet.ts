// What the embed snippet on the organisation's own page tells the widget beyond its keys:
// the help numbers and the tip page, which must work even when the relay never answers
// (README "Embed"). Read defensively: a malformed attribute drops that part, never the widget,
// and nothing here is ever turned into markup or a script URL.
import type { HelpNumber } from './state';

const MAX_NUMBERS = 10;

/** `data-numbers='[{"label":"…","number":"…"}]'`: entries without a digit or a label are left out. */
export function parseNumbers(json: string | undefined): HelpNumber[] {
  let list: unknown;
  try {
    list = JSON.parse(json ?? '[]');
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  const valid = (n: { label?: unknown; number?: unknown } | null) => typeof n?.label === 'string' && n.label.trim() !== '' && typeof n?.number === 'string' && /[0-9]/.test(n.number);
  return list.filter(valid).slice(0, MAX_NUMBERS).map((n) => ({ label: n.label, number: n.number, labels: stringMap(n.labels) }));
}

/** A `{string: string}` object with anything else left out (labels per language). */
export function stringMap(x: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (x && typeof x === 'object' && !Array.isArray(x)) for (const [k, v] of Object.entries(x)) if (typeof v === 'string' && v.trim()) out[k] = v;
  return out;
}

/**
 * The tip link, unless it is on the relay: it is shown only when the relay's config failed,
 * and a page there (the relay's own /help, as its launcher snippet gives) fails the same way.
 */
export function offRelay(url: string | null, relay: string, page: string): string | null {
  try {
    return url && new URL(url, page).origin !== new URL(relay).origin ? url : null;
  } catch {
    return null;
  }
}

/** Only an http(s) link or a path on the host page's site is followed: a `javascript:` URL must do nothing. */
export function httpUrl(url: string | undefined): string | null {
  return url && /^(https?:\/\/|\/(?!\/))/i.test(url) ? url : null;
}
