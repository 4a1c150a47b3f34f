// Every user-visible string lives in locales/*.json; `t` fills `{name}` placeholders. A
// string is never built from relay or coordinator text here: placeholders only take values
// the screens pass.
import en from './locales/en.json';
import fr from './locales/fr.json';
import es from './locales/es.json';

export type Key = keyof typeof en;
export const LOCALES: Record<string, Record<string, string>> = { en, fr, es };
export const LANGS = Object.keys(LOCALES);

export function pickLang(wanted: string | null | undefined): string {
  const base = (wanted ?? '').toLowerCase().split('-')[0];
  return LOCALES[base] ? base : 'en';
}

export function translate(lang: string, key: Key, vars: Record<string, string | number> = {}): string {
  const table = LOCALES[lang] ?? en;
  const s = table[key] ?? (en as Record<string, string>)[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}
