// The chat ticket's search begun ahead (src/chat-presearch.ts): a chat adopts it for its own
// ticket (same nonce, its progress shown), searches anything else (or a ticket whose search
// could not run) afresh, stops it when the chat is called off; a ticket above the cap,
// already taken, or with no one on duty is never searched ahead, and never on the page's
// thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESEARCH_MAX_BITS, presearch, TicketSearch } from '../src/chat-presearch';
import type { Solver } from '../src/chat';
import { NO_WORKERS, workerSolver } from '../src/pow-solver';
import type { PublicConfig } from '../src/tips';

/** A solver that answers when told, and records what it was asked. */
function controlled() {
  const calls: { seed: Uint8Array; progress: (p: number) => void; signal?: AbortSignal; answer: (n: number) => void }[] = [];
  const solve: Solver = (seed, _context, _difficulty, progress, signal) =>
    new Promise((resolve, reject) => {
      calls.push({ seed, progress, signal, answer: resolve });
      signal?.addEventListener('abort', () => reject(new Error('pow cancelled')));
    });
  return { solve, calls };
}

const ticketOf = (difficulty = 16, until = Date.now() + 240_000) => ({ session: new Uint8Array(16), seed: new Uint8Array(16).fill(7), difficulty, until });

test('a chat adopts the search begun for its ticket: one search, its progress shown, its nonce', async () => {
  const { solve, calls } = controlled();
  const ticket = ticketOf();
  const ahead = new TicketSearch(ticket, solve);
  calls[0].progress(0.4);
  const seen: number[] = [];
  const nonce = ahead.solver(solve)(ticket.seed, ticket.session, 16, (p) => seen.push(p), new AbortController().signal);
  calls[0].progress(0.7);
  calls[0].answer(1234);
  assert.equal(await nonce, 1234);
  assert.equal(calls.length, 1, 'not searched twice');
  assert.deepEqual(seen, [0.4, 0.7]);
  ahead.stop();
});

test('another seed (the socket challenge after a refused ticket) is searched afresh', async () => {
  const { solve, calls } = controlled();
  const ticket = ticketOf();
  const ahead = new TicketSearch(ticket, solve);
  void ahead.solver(solve)(new Uint8Array(16).fill(9), ticket.session, 16, () => {});
  assert.equal(calls.length, 2);
  assert.equal(calls[1].seed[0], 9);
  ahead.stop();
});

test('a chat called off stops the search; a stopped search is not handed to a later chat', async () => {
  const { solve, calls } = controlled();
  const ticket = ticketOf();
  const ahead = new TicketSearch(ticket, solve);
  const off = new AbortController();
  const nonce = ahead.solver(solve)(ticket.seed, ticket.session, 16, () => {}, off.signal);
  off.abort();
  await assert.rejects(nonce, /cancelled/);
  assert.equal(calls[0].signal?.aborted, true, 'the workers were told to stop');
  void ahead.solver(solve)(ticket.seed, ticket.session, 16, () => {});
  assert.equal(calls.length, 2, 'searched afresh');
});

test('a search ahead that could not run (no workers) leaves the chat to search its ticket afresh', async () => {
  const { solve, calls } = controlled();
  const ticket = ticketOf();
  const ahead = new TicketSearch(ticket, () => Promise.reject(new Error('pow needs workers')));
  const nonce = ahead.solver(solve)(ticket.seed, ticket.session, 16, () => {}, new AbortController().signal);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(calls.length, 1, 'searched afresh');
  calls[0].answer(77);
  assert.equal(await nonce, 77);
});

test('the search stops when the ticket is no longer used', async () => {
  const { solve, calls } = controlled();
  new TicketSearch(ticketOf(16, Date.now() + 20), solve);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(calls[0].signal?.aborted, true);
});

test('searched ahead only at or below the cap, with someone on duty, and not once a chat took the ticket', async () => {
  const idle = () => new Promise((r) => setTimeout(r, 20));
  for (const [difficulty, taken, onDuty, searched] of [
    [PRESEARCH_MAX_BITS, false, 1, true],
    [PRESEARCH_MAX_BITS + 1, false, 1, false],
    [16, true, 1, false],
    [16, false, 0, false],
  ] as const) {
    const { solve, calls } = controlled();
    const config = { ticket: ticketOf(difficulty), onDuty } as unknown as PublicConfig;
    presearch(config, solve);
    if (taken) config.ticket = undefined;
    await idle();
    assert.equal(calls.length, searched ? 1 : 0, `difficulty ${difficulty}, taken ${taken}, on duty ${onDuty}`);
    config.ticket?.search?.stop();
  }
});

test('where no worker can start, the search ahead does not fall back to the page\'s thread', async () => {
  let shown = 0;
  const g = globalThis as { navigator?: unknown };
  g.navigator ??= { hardwareConcurrency: 4 }; // as a browser has it
  await assert.rejects(workerSolver(null, false)(new Uint8Array(16), new Uint8Array(16), 8, () => shown++), new RegExp(NO_WORKERS));
  assert.equal(shown, 0, 'not a slice searched');
});
