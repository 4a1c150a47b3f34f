// The embed snippet's numbers and tip link: malformed input drops that part only, and no
// script URL is ever accepted as the tip page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpUrl, offRelay, parseNumbers } from '../src/snippet';

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

test('data-tip-url on the relay itself is not linked (it is shown only when the relay failed, and fails the same way)', () => {
  const relay = 'https://relay.example';
  assert.equal(offRelay('/help', relay, 'https://relay.example/'), null, "the relay's own demo page, relative");
  assert.equal(offRelay('https://relay.example/help', relay, 'https://org.example/'), null, 'the snippet the relay gives to copy');
  assert.equal(offRelay('https://org.example/tips', relay, 'https://org.example/'), 'https://org.example/tips', "the organisation's own page stays");
  assert.equal(offRelay('/tips', relay, 'https://org.example/page'), '/tips', "a path on the organisation's site stays");
  assert.equal(offRelay(null, relay, 'https://org.example/'), null);
});
