// The chat screen's hold on the page: the `online`/`offline` listeners each chat adds go when
// that chat stops, however it stops, so a visitor who talks several times in one page does
// not pile them up (each one kept a stopped chat, and its closures, alive for the page).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Chat } from '../src/chat';
import { startChat } from '../src/screens/chat';
import { initialState } from '../src/state';
import type { Widget } from '../src/state';

type Listener = { type: string; fn: () => void; signal?: AbortSignal };
const listeners: Listener[] = [];
const sockets: FakeWebSocket[] = [];

class FakeWebSocket {
  static OPEN = 1;
  readyState = 0;
  closed = false;
  onmessage: unknown = null;
  onclose: unknown = null;
  onopen: unknown = null;
  constructor(readonly url: string) {
    sockets.push(this);
  }
  send() {}
  close() {
    this.closed = true;
  }
}

Object.assign(globalThis, {
  WebSocket: FakeWebSocket,
  // as a browser does: a listener added with a signal is removed when it aborts
  addEventListener: (type: string, fn: () => void, options?: { signal?: AbortSignal }) => listeners.push({ type, fn, signal: options?.signal }),
});
const live = (type?: string) => listeners.filter((l) => !l.signal?.aborted && (!type || l.type === type));
const dispatch = (type: string) => live(type).forEach((l) => l.fn());

function widget(): Widget {
  const state = initialState('en');
  return {
    state,
    panel: { querySelector: () => null },
    base: 'https://relay.test',
    org: new Uint8Array(32),
    solve: () => new Promise(() => {}),
    revocationMaxAge: 86400,
    snippetNumbers: [],
    tipUrl: null,
    t: (k: string) => k,
    go: (screen) => void (state.screen = screen),
    render: () => {},
    loadConfig: () => {},
  } as unknown as Widget;
}

test('each chat’s online/offline listeners go when it stops: ended, Back, quick exit, failed; never more than one chat’s', () => {
  const w = widget();
  const stops: [string, (chat: Chat) => void][] = [
    ['End and wipe', (c) => c.end()],
    ['Back while connecting', (c) => c.cancel()],
    ['quick exit', (c) => c.wipeNow()],
    ['the relay refused it', () => (sockets.at(-1)!.onclose as (e: { code: number }) => void)({ code: 4000 })],
  ];
  for (const [how, stop] of stops) {
    startChat(w);
    const chat = w.state.chat!;
    assert.deepEqual(live().map((l) => l.type).sort(), ['offline', 'online'], `${how}: this chat's two listeners, and only them`);
    stop(chat);
    assert.ok(chat.view.phase === 'ended' || chat.view.phase === 'failed' || chat.signal.aborted, how);
    assert.deepEqual(live(), [], `${how}: removed with the chat`);
    w.state.chat = null;
  }
  // the chat after them still hears the network, and it alone
  startChat(w);
  const socket = sockets.at(-1)!;
  dispatch('offline');
  assert.equal(socket.closed, true, 'the live chat dropped its socket when the device went offline');
  assert.equal(live().length, 2);
  w.state.chat!.end();
});
