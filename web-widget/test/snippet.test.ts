// The embed snippet's numbers and tip link: malformed input drops that part only, and no
// script URL is ever accepted as the tip page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpUrl, parseNumbers } from '../src/snippet';

test('data-numbers: well-formed entries kept in order, the rest left out', () => {
  const json = JSON.stringify([{ label: 'Emergency services', number: '112' }, { label: 'No digits', number: 'call us' }, { label: '', number: '211' }, { number: '999' }, null, 7, { label: 'Help line', number: '+33 1 23 45 67 89' }]);
  assert.deepEqual(parseNumbers(json), [
    { label: 'Emergency services', number: '112', labels: {} },
    { label: 'Help line', number: '+33 1 23 45 67 89', labels: {} },
  ]);
  const labelled = JSON.stringify([{ label: 'Emergency services', number: '112', labels: { fr: "Services d'urgence", ar: 'خدمات الطوارئ', es: 3 } }]);
  assert.deepEqual(parseNumbers(labelled)[0].labels, { fr: "Services d'urgence", ar: 'خدمات الطوارئ' }, 'labels per language, strings only');
  assert.deepEqual(parseNumbers('not json'), []);
  assert.deepEqual(parseNumbers('{"label":"x","number":"1"}'), []);
  assert.deepEqual(parseNumbers(undefined), []);
  assert.equal(parseNumbers(JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ label: 'n' + i, number: String(i) })))).length, 10);
});

test('data-tip-url: http(s) or a path on the same site only', () => {
  assert.equal(httpUrl('https://org.example/help'), 'https://org.example/help');
  assert.equal(httpUrl('/help'), '/help');
  assert.equal(httpUrl('//evil.example/x'), null);
  assert.equal(httpUrl('javascript:alert(1)'), null);
  assert.equal(httpUrl('data:text/html,x'), null);
  assert.equal(httpUrl(undefined), null);
});
