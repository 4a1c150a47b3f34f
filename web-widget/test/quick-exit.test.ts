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

/** A page with the quick exit listening; `fire` sends it an event, `left` says whether it left. */
function listening() {
  const handlers: Record<string, ((e: any) => void)[]> = {};
  let left = false;
  Object.assign(globalThis, {
    document: { addEventListener: (type: string, fn: (e: any) => void) => (handlers[type] ??= []).push(fn), title: 'x', activeElement: null },
    location: { replace: () => (left = true) },
  });
  quickExit(initialState('en'), { remove() {}, contains: () => false } as unknown as HTMLElement, undefined, false);
  const fire = (type: string, e: Record<string, unknown> = {}) => handlers[type]?.forEach((fn) => fn({ preventDefault() {}, ...e }));
  const shift = (e: Record<string, unknown> = {}) => fire('keydown', { key: 'Shift', ...e });
  return { fire, shift, left: () => left };
}

test('Shift ×3: three presses in a row leave; a held Shift is one press', (t) => {
  t.mock.timers.enable({ apis: ['Date'] });
  const page = listening();
  page.shift();
  page.shift({ repeat: true });
  page.shift({ repeat: true });
  assert.equal(page.left(), false, 'held, not pressed three times');
  page.shift();
  page.shift();
  assert.equal(page.left(), true);
});

test('Shift ×3: a click, another key or an input method at work between the presses starts the count again', (t) => {
  t.mock.timers.enable({ apis: ['Date'] });
  const between: [string, (page: ReturnType<typeof listening>) => void][] = [
    ['a click', (p) => p.fire('pointerdown')],
    ['another key', (p) => p.fire('keydown', { key: 'a' })],
    ['a key of a composition', (p) => p.fire('keydown', { key: 'Process', keyCode: 229 })],
    ['Shift during a composition', (p) => p.shift({ isComposing: true })],
    ['a composition begun without a key', (p) => p.fire('compositionstart')],
  ];
  for (const [what, interrupt] of between) {
    const page = listening();
    page.shift();
    interrupt(page);
    page.shift();
    page.shift();
    assert.equal(page.left(), false, `Shift, ${what}, Shift, Shift`);
    page.shift();
    assert.equal(page.left(), true, `${what}: three in a row after it still leave`);
  }
});

test('Shift ×3: presses an input method reports (keyCode 229) never count, nor presses spread out in time', (t) => {
  t.mock.timers.enable({ apis: ['Date'] });
  const ime = listening();
  for (let i = 0; i < 3; i++) ime.shift({ keyCode: 229 });
  assert.equal(ime.left(), false, 'an Android keyboard’s Shift, as 229');
  const slow = listening();
  slow.shift();
  slow.shift();
  t.mock.timers.tick(1500);
  slow.shift();
  assert.equal(slow.left(), false, 'not within 1.5 s');
});
