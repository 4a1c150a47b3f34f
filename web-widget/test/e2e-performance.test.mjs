// The widget on a cheap phone over a bad network (issue 28): Chromium's CPU slowed 6× and
// "slow 3G" (400 kbit/s each way, 400 ms round trip) against a real relay, beside the same
// run unthrottled. Four figures, each against its budget:
//   help     navigation → the quick exit and the numbers painted (first contentful paint:
//            the server's own HTML, before any script)           ≤ 2 s
//   queue    "Talk" → "You are number …" (proof-of-work at the relay's default difficulty)  ≤ 3 s
//   receipt  "Send the tip" → "Your tip was received", the tip typed first: the receipt's
//            stretching and the PoW run while it is written (tip-work.ts), so Send waits for
//            the sealing, the request and whatever of that work is left                    ≤ 3 s
//   exit     the quick exit pressed → the widget gone from the next frame                  ≤ 100 ms
// plus `home` (navigation → "Talk" usable), printed without a budget: it is bound by the
// script's ~49 KiB on a 400 kbit/s link (docs/benchmarks.md, "The widget on a slow phone"),
// and `receiptPasted`, a second tip pasted and sent at once (the worst case: all of the work
// after Send), also without a budget. Each tip's steps are printed, in ms from Send.
//
// Proof-of-work is random: the nonce found may be far below or above the 2^d tries expected.
// The queue and receipt figures are therefore judged with the search time (for a tip, the
// part of it after Send) replaced by its expectation at the hash rate measured in the same
// run (`…Expected`); the raw figure is printed beside it. The chat's search starts at "Talk" with the config's chat ticket and
// overlaps the socket's opening (`open`, "Talk" → socket open): what holds the queue up is
// the longer of the two, then the ticket_hello → welcome, queue round trip. DevTools' CPU
// throttling does not reach Web Workers, so here the search runs on the page's thread (Worker
// removed), which the throttle does slow: what a phone spends, not what this machine's free
// core spends. (It also delays the socket's opening, which a phone's workers would not.)
//
// WIDGET_PERF_RUNS=n repeats each emulation n times and judges the median (default 3: one
// run moves by a third on a shared machine).
// WIDGET_PERF_COMPARE=1 adds visits without the chat ticket (the socket's challenge path).
// WIDGET_PERF_REPORT_ONLY=1 prints without failing: for a machine too loaded to say
// anything about the widget (the figures then say so). CI runs without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadavg, cpus } from 'node:os';
import { browserSuite, PHONE } from './suite.mjs';

const s = browserSuite();
const BUDGET = { help: 2000, queue: 3000, receipt: 3000, exit: 100 };
// Speed is measured, not asserted to the millisecond: every run prints the budget it misses
// ("BUDGET MISSED"), and the queue fails the test only past a regression ceiling: it met its
// budget once chats opened with the config's chat ticket (2.9 s at load 19,
// docs/benchmarks.md, "Set-up"), too close to the line to fail a shared CI machine on. The
// receipt is held to its budget: prepared while the tip is written it took 0.6-1.3 s at load
// 12-17, sealing and one request ("The widget on a slow phone").
const CEILING = { queue: 6000 };
// The tip, typed at 10 keys a second: faster than thumbs on a phone, so its writing time is
// shorter than a real tipster's (a real tip is longer too).
const TIP = 'A van collects the workers at five every morning from the back of the laundry.';
const KEY_MS = 100;
const PHONE_CPU = 6;
const SLOW_3G = { offline: false, latency: 400, downloadThroughput: 400_000 / 8, uploadThroughput: 400_000 / 8 };
const RUNS = Math.max(1, Number(process.env.WIDGET_PERF_RUNS ?? 3));
const REPORT_ONLY = process.env.WIDGET_PERF_REPORT_ONLY === '1';
// WIDGET_PERF_COMPARE=1 adds visits without the chat ticket, for the doc's before and after.
const COMPARE = process.env.WIDGET_PERF_COMPARE === '1';

/** In the page before the widget: marks (ms since navigation) of what the visitor sees. */
function recordMarks() {
  const marks = (window.__marks = {});
  const once = (name) => marks[name] ?? (marks[name] = performance.now());
  const buttonNamed = (text) => [...document.querySelectorAll('button')].some((b) => b.textContent === text);
  // Each tip's own marks, afresh at "Report a tip".
  let tip = (window.__tip = {});
  addEventListener(
    'click',
    (e) => {
      const text = e.target?.textContent;
      if (text === 'Talk to someone now') once('talk');
      if (text === 'Report a tip') tip = window.__tip = { open: performance.now() };
      if (text === 'Send the tip') tip.send ??= performance.now();
      if (e.target?.classList?.contains('ll-exit')) once('exitPressed');
    },
    true,
  );
  new MutationObserver(() => {
    if (!marks.home && buttonNamed('Talk to someone now')) once('home');
    // The search's bar goes when it is solved (the hello is sent then, or once the socket opens).
    if (marks.talk && !marks.solved && document.querySelector('progress')) marks.searching = true;
    if (marks.searching && !marks.solved && !document.querySelector('progress')) once('solved');
    if (marks.talk && !marks.queue && /You are number/.test(document.querySelector('.ll-said')?.textContent ?? '')) once('queue');
    if (tip.send && !tip.receipt && [...document.querySelectorAll('h1')].some((h) => h.textContent === 'Your tip was received')) tip.receipt = performance.now();
    if (marks.exitPressed && !marks.exitDone && !document.querySelector('.lifeline')) {
      marks.exitDone = 0;
      // the frame after the removal is the first one without the widget
      requestAnimationFrame(() => console.log('lifeline-perf exit ' + (performance.now() - marks.exitPressed)));
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
  // The tip's steps: the receipt's stretching (WebCrypto's PBKDF2), the seed's request (and
  // its difficulty), the tip's request (and the nonce its search found).
  const subtle = crypto.subtle;
  const deriveBits = subtle.deriveBits.bind(subtle);
  subtle.deriveBits = async (...args) => {
    const mine = tip;
    mine.deriveStart = performance.now();
    const bits = await deriveBits(...args);
    mine.deriveEnd = performance.now();
    return bits;
  };
  const fetch0 = window.fetch;
  window.fetch = async (url, init) => {
    const step = { '/v1/pow': 'pow', '/v1/tips': 'tips' }[new URL(url, location.href).pathname];
    const mine = tip;
    if (step) mine[step + 'Sent'] = performance.now();
    if (step === 'tips') mine.tries = JSON.parse(init.body).nonce + 1;
    const response = await fetch0(url, init);
    if (step) mine[step + 'Answered'] = performance.now();
    if (step === 'pow') mine.difficulty = (await response.clone().json()).difficulty;
    return response;
  };
  // When the visitor socket opened and when its hello left (with a chat ticket the search
  // runs while the socket opens, so neither end of it shows on the wire).
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      this.addEventListener('open', () => once('open'));
      this.addEventListener('message', () => once('challenge'));
    }
    send(data) {
      const frame = JSON.parse(data);
      if (/hello$/.test(frame.type) && !marks.hello) Object.assign(marks, { hello: performance.now(), tries: frame.pow_nonce + 1, ticketed: frame.type === 'ticket_hello' });
      super.send(data);
    }
  };
}

/** One visit: help, home, the queue, a tip to its receipt, then the quick exit. */
async function visit(throttled, ticket = true) {
  // The scripted coordinator speaks only when told: a command per visit keeps it past the
  // relay's idle timeout (90 s), so a long run still finds someone on duty.
  await s.coord.cmd('duty');
  const context = await s.browser.newContext(PHONE);
  const page = await context.newPage();
  if (!ticket) {
    // As against a relay older than chat tickets: the widget answers the socket's challenge.
    await page.route('**/v1/config', async (route) => {
      const response = await route.fetch();
      const { chat_ticket, ...config } = await response.json();
      await route.fulfill({ response, json: config });
    });
  }
  if (throttled) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: PHONE_CPU });
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', SLOW_3G);
  }
  // the search on the page's thread, where the emulated CPU applies (see the top)
  await page.addInitScript(() => delete window.Worker);
  await page.addInitScript(recordMarks);
  const pow = {};
  page.on('websocket', (ws) => {
    ws.on('framereceived', (f) => {
      const frame = JSON.parse(f.payload);
      if (frame.type === 'challenge') Object.assign(pow, { chatDifficulty: frame.difficulty });
    });
  });
  let exitMs = null;
  page.on('console', (m) => {
    const said = /^lifeline-perf exit ([\d.]+)$/.exec(m.text());
    if (said) exitMs = Number(said[1]);
  });

  await page.goto(s.relay.base + '/help', { waitUntil: 'commit' });
  await page.getByRole('button', { name: 'Talk to someone now' }).click({ timeout: 60_000 });
  await page.getByText(/You are number/).waitFor({ timeout: 180_000 });
  const marks1 = await page.evaluate(() => ({ ...window.__marks, help: performance.getEntriesByName('first-contentful-paint')[0]?.startTime }));
  await page.getByRole('button', { name: 'End and wipe' }).click();
  await page.getByRole('button', { name: 'Back to start' }).click();
  // Written: the receipt's stretching and the proof-of-work run while the words are typed.
  const written = await tipTo(page, (field) => field.pressSequentially(TIP, { delay: KEY_MS }));
  // Pasted and sent at once: what is left of that work is waited for after Send.
  await page.getByRole('button', { name: 'I have it' }).click();
  const pasted = await tipTo(page, (field) => field.fill(TIP));
  const left = page.waitForURL(/\/healthz$/, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Emergency exit: leave this site now' }).click();
  await left;
  for (let i = 0; exitMs === null && i < 50; i++) await new Promise((r) => setTimeout(r, 100));
  await context.close();

  // With a ticket the search starts at "Talk" and overlaps the socket's opening, so only the
  // longer of the two holds the queue up; with the challenge it starts when that arrives.
  const queue = marks1.queue - marks1.talk;
  const open = marks1.open - marks1.talk;
  const challenged = marks1.challenge - marks1.talk;
  const searchMs = marks1.solved - (marks1.ticketed ? marks1.talk : marks1.challenge);
  // The chat's search and the pasted tip's together (a lucky search alone is too short to
  // time the rate). The tip's runs from its seed to its request, so it includes the sealing:
  // the rate comes out a little low, the expected figures a little long.
  const rate = (marks1.tries + pasted.tries) / (searchMs + pasted.tipsSent - pasted.powAnswered);
  const expectedMs = 2 ** pow.chatDifficulty / rate;
  const held = (search) => (marks1.ticketed ? Math.max(search, open) : challenged + search);
  // A tip waits on its search only for what of it runs past Send: that part, raw and at the
  // expected number of tries.
  const afterSend = (t, tries) => Math.max(0, t.powAnswered + tries / rate - t.send);
  const receiptExpected = (t) => t.receipt - t.send - afterSend(t, t.tries) + afterSend(t, 2 ** t.difficulty);
  return {
    help: marks1.help,
    home: marks1.home,
    open,
    queue,
    queueExpected: queue - held(searchMs) + held(expectedMs),
    receipt: written.receipt - written.send,
    receiptExpected: receiptExpected(written),
    receiptPasted: pasted.receipt - pasted.send,
    receiptPastedExpected: receiptExpected(pasted),
    exit: exitMs,
    hashesPerSecond: Math.round(1000 * rate),
    difficulty: pow.chatDifficulty,
    ticketed: marks1.ticketed,
    steps: [tipSteps(written, rate), tipSteps(pasted, rate)],
  };
}

/** One tip from "Report a tip" to its receipt; `write` puts the words in the field. */
async function tipTo(page, write) {
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await write(page.getByLabel('What would you like to tell us?'));
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByRole('heading', { name: 'Your tip was received' }).waitFor({ timeout: 180_000 });
  return page.evaluate(() => window.__tip);
}

/** Where a receipt's time went, ms from "Send the tip" (negative: done before it). */
function tipSteps(t, rate) {
  const at = (ms) => Math.round(ms - t.send);
  return `form ${at(t.open)}, stretch ${at(t.deriveStart)}→${at(t.deriveEnd)}, seed ${at(t.powSent)}→${at(t.powAnswered)}, search →${at(t.powAnswered + t.tries / rate)} (${t.tries} tries), tip ${at(t.tipsSent)}→${at(t.tipsAnswered)}, receipt shown ${at(t.receipt)}`;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

test(`help, queue, receipt and quick exit within budget at ${PHONE_CPU}× CPU on slow 3G`, { timeout: 30 * 60_000 }, async () => {
  await s.ready;
  await s.coord.cmd('duty');
  const runs = { fast: [], phone: [], fastChallenge: [], phoneChallenge: [] };
  for (let i = 0; i < RUNS; i++) {
    runs.fast.push(await visit(false));
    runs.phone.push(await visit(true));
    if (COMPARE) {
      runs.fastChallenge.push(await visit(false, false));
      runs.phoneChallenge.push(await visit(true, false));
    }
  }
  const figures = ['help', 'home', 'open', 'queue', 'queueExpected', 'receipt', 'receiptExpected', 'receiptPasted', 'receiptPastedExpected', 'exit', 'hashesPerSecond'];
  const at = (kind, f) => median(runs[kind].map((r) => r[f]));
  const range = (kind, f) => (RUNS > 1 ? ` (${Math.round(Math.min(...runs[kind].map((r) => r[f])))}–${Math.round(Math.max(...runs[kind].map((r) => r[f])))})` : '');
  const rows = figures.map((f) => {
    const budget = { help: BUDGET.help, queueExpected: BUDGET.queue, receiptExpected: BUDGET.receipt, exit: BUDGET.exit }[f];
    return `${f.padEnd(21)} ${(Math.round(at('fast', f)) + range('fast', f)).padStart(22)} ${(Math.round(at('phone', f)) + range('phone', f)).padStart(22)} ${budget ? '≤ ' + budget : ''}`;
  });
  const [one, five] = loadavg();
  console.log(
    [
      `widget performance, median of ${RUNS} run(s); ms unless "hashesPerSecond"; PoW difficulty ${runs.phone[0].difficulty}`,
      `machine: ${cpus().length} cores, load average ${one.toFixed(1)} (1 min), ${five.toFixed(1)} (5 min)`,
      `${'figure'.padEnd(21)} ${'unthrottled'.padStart(22)} ${`${PHONE_CPU}× CPU, slow 3G`.padStart(22)} budget`,
      ...rows,
      ...(COMPARE
        ? ['open', 'queue', 'queueExpected'].map((f) => `${(f + ', no ticket').padEnd(21)} ${(Math.round(at('fastChallenge', f)) + range('fastChallenge', f)).padStart(22)} ${(Math.round(at('phoneChallenge', f)) + range('phoneChallenge', f)).padStart(22)}`)
        : []),
    ].join('\n'),
  );
  for (const kind of ['fast', 'phone'])
    runs[kind].forEach((r, i) => r.steps.forEach((steps, j) => console.log(`${kind} run ${i + 1}, tip ${['written', 'pasted'][j]} (ms from Send): ${steps}`)));
  // The widget opened with the config's chat ticket (§9.1), not the socket's challenge.
  assert.ok([...runs.fast, ...runs.phone].every((r) => r.ticketed), 'every chat opened with ticket_hello');
  const figureOf = { help: 'help', queue: 'queueExpected', receipt: 'receiptExpected', exit: 'exit' };
  const missed = Object.entries(figureOf).filter(([budget, f]) => !(at('phone', f) <= BUDGET[budget]));
  if (missed.length) console.log('BUDGET MISSED: ' + missed.map(([b, f]) => `${b} ${Math.round(at('phone', f))} ms > ${BUDGET[b]} ms`).join(', '));
  const limit = (budget) => CEILING[budget] ?? BUDGET[budget];
  const over = missed
    .filter(([budget, f]) => !(at('phone', f) <= limit(budget)))
    .map(([budget, f]) => `${budget} ${Math.round(at('phone', f))} ms > ${limit(budget)} ms`);
  if (REPORT_ONLY) {
    if (over.length) console.log('REPORT ONLY (WIDGET_PERF_REPORT_ONLY=1), over budget: ' + over.join(', '));
    return;
  }
  assert.deepEqual(over, [], 'over budget on the emulated phone');
});
