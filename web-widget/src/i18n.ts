// Every user-visible string lives in locales/*.json; `t` fills `{name}` placeholders. A
// string is never built from relay or coordinator text here: placeholders only take values
// the screens pass. Every locale must have every key (test/locales.test.ts); English is the
// fallback only for a key a locale lacks, which that test forbids.
import en from './locales/en.json';
import fr from './locales/fr.json';
import es from './locales/es.json';
import pt from './locales/pt.json';
import ro from './locales/ro.json';
import bg from './locales/bg.json';
import uk from './locales/uk.json';
import ar from './locales/ar.json';
import vi from './locales/vi.json';
import zhHans from './locales/zh-Hans.json';

export type Key = keyof typeof en;
export const LOCALES: Record<string, Record<string, string>> = { en, fr, es, pt, ro, bg, uk, ar, vi, 'zh-Hans': zhHans };
export const LANGS = Object.keys(LOCALES);

/** The shipped locale for a BCP 47 tag, or null: `fr-CA` → fr, `zh-CN` → zh-Hans, `zh-TW` → none. */
export function supported(tag: string | null | undefined): string | null {
  const parts = (tag ?? '').toLowerCase().split(/[-_]/);
  if (parts[0] === 'zh') {
    // Simplified Chinese is written in mainland China and Singapore; Traditional elsewhere.
    const traditional = parts.includes('hant') || parts.some((p) => ['tw', 'hk', 'mo'].includes(p));
    return traditional ? null : 'zh-Hans';
  }
  return LOCALES[parts[0]] ? parts[0] : null;
}

/** The first supported of: the snippet's `data-lang`, the host page's `lang`, the browser's languages; else English. */
export function chooseLang(snippet: string | undefined, page: string | undefined, browser: readonly string[]): string {
  for (const tag of [snippet, page, ...browser]) {
    const lang = supported(tag);
    if (lang) return lang;
  }
  return 'en';
}

/** A language the visitor picked from the switch (always a shipped one), else English. */
export function pickLang(wanted: string | null | undefined): string {
  return supported(wanted) ?? 'en';
}

export function translate(lang: string, key: Key, vars: Record<string, string | number> = {}): string {
  const table = LOCALES[lang] ?? en;
  const s = table[key] ?? (en as Record<string, string>)[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

/** The language switch's label, in every shipped language (a visitor may not read the current one). */
export function languageLabels(): { lang: string; text: string }[] {
  const seen = new Set<string>();
  return LANGS.map((lang) => ({ lang, text: LOCALES[lang].language })).filter(({ text }) => !seen.has(text) && seen.add(text));
}
