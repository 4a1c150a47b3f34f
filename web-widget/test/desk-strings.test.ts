// The desk's words (web-widget/desk/strings.ts): every English key in French and Spanish,
// none empty, and every notice and transcript note the shift core sends has words (the names
// are read from src/console/shift/notice.rs, so a new one without words fails here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tables } from '../desk/strings';

const sample = { n: 1, number: 1, t: '1 min', s: 2, from: 'Bastien', to: 'Bastien', held: 2, placeholder: '<x>', reason: 'r', retry_after: 3, status: 'accepted', on_duty: true, load: 1, capacity: 2, f: 0, r: 1, text: 'note', after_s: 600, off_duty: true, released: 2 };
const words = (table: Record<string, unknown>, key: string) => {
  const w = table[key];
  return typeof w === 'function' ? w(sample) : w;
};

test('French and Spanish have every English key, none empty', () => {
  for (const lang of ['fr', 'es']) {
    const missing = Object.keys(tables.en).filter((k) => !(k in tables[lang]));
    assert.deepEqual(missing, [], `${lang}: missing keys`);
    for (const k of Object.keys(tables[lang])) assert.ok(String(words(tables[lang], k)).trim().length > 0, `${lang}.${k} is empty`);
  }
});

test('every notice and note of the shift core has words', () => {
  const source = readFileSync(new URL('../../src/console/shift/notice.rs', import.meta.url), 'utf8');
  const variants = [...source.matchAll(/^    ([A-Z][A-Za-z]+)\b/gm)].map((m) => m[1].replace(/[A-Z]/g, (c, i) => (i ? '_' : '') + c.toLowerCase()));
  assert.ok(variants.length > 40, 'the variants were found');
  const lacking = variants.filter((v) => !(v in tables.en) && v !== 'transfer' && !(v + '_note' in tables.en));
  assert.deepEqual(lacking, []);
});

test('every reason and every close code has words in each language, and no English detail is shown', async () => {
  const { reasonTables, reasonWords } = await import('../desk/reasons');
  const source = readFileSync(new URL('../../src/console/shift/reason.rs', import.meta.url), 'utf8');
  const snake = (v: string) => v.replace(/[A-Z]/g, (c, i) => (i ? '_' : '') + c.toLowerCase());
  const kinds = [...source.matchAll(/^    ([A-Z][A-Za-z]+)\b/gm)].map((m) => snake(m[1])).filter((k) => k !== 'closed' && k !== 'renewal');
  assert.ok(kinds.length >= 12, `the reasons and renewal refusals were found: ${kinds}`);
  const protocol = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const codes = [...protocol.matchAll(/^\| (40\d\d) \|/gm)].map((m) => Number(m[1]));
  assert.ok(codes.length >= 15, 'the close codes were found');
  for (const lang of ['en', 'fr', 'es']) {
    const w = reasonTables[lang];
    assert.deepEqual(kinds.filter((k) => !w.reasons[k]), [], `${lang}: reasons without words`);
    assert.deepEqual(codes.filter((c) => !w.codes[c]), [], `${lang}: close codes without words`);
  }
  assert.match(reasonWords('fr', { closed: { code: 4006 } }), /^Le serveur a refusé votre certificat/);
  assert.match(reasonWords('es', { closed: { code: 4011 } }), /^Sus claves se conectaron en otro lugar/);
  assert.equal(reasonWords('fr', { closed: { code: 1011 } }), 'Le serveur a fermé la connexion (code 1011).');
  assert.equal(reasonWords('es', { renewal: { kind: 'not_newer' } }), reasonTables.es.reasons.not_newer);
  assert.equal(reasonWords('fr', 'offline'), reasonTables.fr.reasons.offline);
});

test('a tip\'s counts agree with their numbers in each language', () => {
  const counts = (lang: string, f: number, r: number) => (tables[lang].counts as (p: Record<string, number>) => string)({ f, r });
  assert.equal(counts('en', 1, 1), '1 follow-up, 1 reply');
  assert.equal(counts('en', 2, 0), '2 follow-ups, 0 replies');
  assert.equal(counts('fr', 1, 0), '1 suite, 0 réponse');
  assert.equal(counts('fr', 2, 3), '2 suites, 3 réponses');
  assert.equal(counts('es', 1, 1), '1 seguimiento, 1 respuesta');
  assert.equal(counts('es', 0, 2), '0 seguimientos, 2 respuestas');
});
