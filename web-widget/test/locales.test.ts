// Every key in every language, no empty string, the same placeholders, and the quick exit's
// accessible name starting with "Emergency" in every language (DESIGN §8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { LOCALES, LANGS, pickLang, translate } from '../src/i18n';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('English, French and Spanish ship, and every locale file is loaded', () => {
  assert.deepEqual(LANGS.sort(), ['en', 'es', 'fr']);
  const files = readdirSync(new URL('../src/locales/', import.meta.url)).filter((f) => f.endsWith('.json'));
  assert.deepEqual(files.map((f) => f.replace('.json', '')).sort(), LANGS.sort());
});

test('every key is present in every language, non-empty, with the same placeholders', () => {
  const en = LOCALES.en;
  assert.ok(Object.keys(en).length > 50);
  for (const lang of LANGS) {
    const table = LOCALES[lang];
    assert.deepEqual(Object.keys(table).sort(), Object.keys(en).sort(), `${lang} keys`);
    for (const [k, v] of Object.entries(table)) {
      assert.ok(typeof v === 'string' && v.trim().length > 0, `${lang}.${k} empty`);
      assert.deepEqual(placeholders(v), placeholders(en[k]), `${lang}.${k} placeholders`);
    }
    assert.match(table.quick_exit, /^Emergency/, `${lang} quick exit name`);
    assert.ok(table._dir === 'ltr' || table._dir === 'rtl');
  }
  // French is translated, not a copy ("Conversation" and "{n} s" are the same word in both)
  const same = Object.keys(en).filter((k) => !k.startsWith('_') && !['seconds', 'messages_label'].includes(k) && LOCALES.fr[k] === en[k]);
  assert.deepEqual(same, []);
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
  assert.equal(pickLang('fr-CA'), 'fr');
  assert.equal(pickLang('de'), 'en');
  assert.equal(pickLang(undefined), 'en');
});
