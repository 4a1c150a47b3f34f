// The quick exit's destination: the organisation's own data-exit-url first, then the relay's
// neutral_url, and never anything but an http(s) URL (a seized relay could send `javascript:`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { presearch } from '../src/chat-presearch';
import { quickExit, wipeAll } from '../src/quick_exit';
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

test('the wipe (quick exit, page hidden) leaves a ticket search still waiting for idle time nothing to start', async () => {
  const state = initialState('en');
  const ticket = { session: new Uint8Array(16), seed: new Uint8Array(16).fill(7), difficulty: 16, until: Date.now() + 240_000 };
  state.config = { onDuty: 1, ticket } as unknown as PublicConfig;
  let searches = 0;
  presearch(state.config, () => (searches++, new Promise(() => {})));
  wipeAll(state);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(searches, 0, 'no search after the wipe');
  assert.equal(state.config, null);
});
