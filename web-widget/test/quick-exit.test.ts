// The quick exit's destination: the organisation's own data-exit-url first, then the relay's
// neutral_url, and never anything but an http(s) URL (a seized relay could send `javascript:`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quickExit } from '../src/quick_exit';
import { initialState } from '../src/state';
import type { PublicConfig } from '../src/tips';

/** Leaves once with this snippet URL and relay config URL; returns where it went. */
function leaveWith(exitUrl: string | undefined, neutralUrl: string | undefined): string {
  const went: string[] = [];
  Object.assign(globalThis, { document: { addEventListener() {}, title: 'x' }, location: { replace: (u: string) => went.push(u) } });
  const state = initialState('en');
  if (neutralUrl !== undefined) state.config = { neutralUrl } as PublicConfig;
  quickExit(state, { remove() {} } as HTMLElement, exitUrl, true).leave();
  assert.equal(went.length, 1);
  return went[0];
}

test('quick exit: the snippet’s data-exit-url wins over the relay’s neutral_url', () => {
  assert.equal(leaveWith('https://org.example/weather', 'https://relay.example/neutral'), 'https://org.example/weather');
  assert.equal(leaveWith(undefined, 'https://relay.example/neutral'), 'https://relay.example/neutral');
});

test('quick exit: a javascript: or data: URL from the relay or the snippet is never followed', () => {
  assert.equal(leaveWith(undefined, 'javascript:alert(1)'), 'about:blank');
  assert.equal(leaveWith('javascript:alert(1)', 'https://relay.example/neutral'), 'https://relay.example/neutral');
  assert.equal(leaveWith('data:text/html,x', 'JavaScript:alert(1)'), 'about:blank');
  assert.equal(leaveWith(undefined, undefined), 'about:blank');
});
