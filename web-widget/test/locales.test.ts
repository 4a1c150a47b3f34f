// Every key in every language, no empty string, the same placeholders, the quick exit's
// accessible name starting with "Emergency" in every language (DESIGN §8), and the language
// chosen from the snippet, the host page, then the browser's languages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { chooseLang, languageLabels, LOCALES, LANGS, pickLang, supported, translate } from '../src/i18n';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const SHIPPED = ['ar', 'bg', 'en', 'es', 'fr', 'pt', 'ro', 'uk', 'vi', 'zh-Hans'];

test('the shipped languages, and every locale file is loaded', () => {
  assert.deepEqual([...LANGS].sort(), SHIPPED);
  const files = readdirSync(new URL('../src/locales/', import.meta.url)).filter((f) => f.endsWith('.json'));
  assert.deepEqual(files.map((f) => f.replace('.json', '')).sort(), [...LANGS].sort());
});

test('every key is present in every language, non-empty, with the same placeholders', () => {
  const en = LOCALES.en;
  assert.ok(Object.keys(en).length > 90);
  for (const lang of LANGS) {
    const table = LOCALES[lang];
    const missing = Object.keys(en).filter((k) => !(k in table));
    const extra = Object.keys(table).filter((k) => !(k in en));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${lang}: keys`);
    for (const [k, v] of Object.entries(table)) {
      assert.ok(typeof v === 'string' && v.trim().length > 0, `${lang}.${k} empty`);
      assert.deepEqual(placeholders(v), placeholders(en[k]), `${lang}.${k} placeholders`);
    }
    assert.match(table.quick_exit, /^Emergency/, `${lang} quick exit name`);
    assert.equal(table._dir, lang === 'ar' ? 'rtl' : 'ltr', `${lang} direction`);
  }
});

test('every locale is translated, not a copy of English', () => {
  // words that are the same in some languages ("Conversation", "Send"; "Lifeline — …" is a name)
  const alike = new Set(['messages_label', '_dir', 'send']);
  for (const lang of LANGS.filter((l) => l !== 'en')) {
    const same = Object.keys(LOCALES.en).filter((k) => !alike.has(k) && LOCALES[lang][k] === LOCALES.en[k]);
    assert.deepEqual(same, [], `${lang}: untranslated keys`);
  }
});

test('every key the code uses exists in the English table', () => {
  const dirs = ['../src/', '../src/screens/'];
  const src = dirs.flatMap((d) => readdirSync(new URL(d, import.meta.url)).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(new URL(d + f, import.meta.url), 'utf8'))).join('\n');
  const used = new Set([...src.matchAll(/\bt\('([a-z_0-9]+)'/g)].map((m) => m[1]));
  assert.ok(used.size > 30);
  for (const k of used) assert.ok(k in LOCALES.en, `missing key ${k}`);
});

test('translate fills placeholders; pickLang falls back to English', () => {
  assert.equal(translate('fr', 'position', { n: 3 }), 'Vous êtes numéro 3 dans la file.');
  assert.equal(translate('es', 'err_length', { n: 7 }), 'Un código de recibo tiene 20 caracteres; este tiene 7.');
  assert.equal(translate('ar', 'position', { n: 2 }), 'ترتيبك 2 في الدور.');
  assert.equal(pickLang('fr-CA'), 'fr');
  assert.equal(pickLang('de'), 'en');
  assert.equal(pickLang(undefined), 'en');
});

test('the language: snippet, then host page, then the first supported browser language', () => {
  assert.equal(chooseLang('es', 'fr', ['uk']), 'es');
  assert.equal(chooseLang(undefined, 'fr', ['uk']), 'fr');
  assert.equal(chooseLang(undefined, undefined, ['de-DE', 'uk-UA', 'en']), 'uk', 'German is not shipped: the next one');
  assert.equal(chooseLang('', '', ['pt-BR']), 'pt');
  assert.equal(chooseLang(undefined, 'de', ['ro']), 'ro', 'an unsupported page language does not stop the search');
  assert.equal(chooseLang(undefined, undefined, ['de']), 'en');
  assert.equal(supported('zh-CN'), 'zh-Hans');
  assert.equal(supported('zh-Hans-SG'), 'zh-Hans');
  assert.equal(supported('zh'), 'zh-Hans');
  assert.equal(supported('zh-TW'), null, 'Traditional Chinese readers are not given Simplified');
  assert.equal(supported('zh-Hant'), null);
  assert.equal(supported('ar-EG'), 'ar');
});

test('the language switch is labelled in every shipped language, each once', () => {
  const labels = languageLabels();
  for (const lang of LANGS) assert.ok(labels.some((l) => l.text === LOCALES[lang].language), lang);
  assert.equal(new Set(labels.map((l) => l.text)).size, labels.length);
  assert.ok(labels.find((l) => l.text === 'اللغة')?.lang === 'ar', 'each label carries its own lang');
});
