// What e2e-performance.test.mjs runs inside the page: the marks of what the visitor sees and
// of each step under it (ms since navigation), and a fixed-size probe of the widget's own
// proof-of-work code on the page's thread. It only observes: it must never change what the
// widget sends or when.
import { build } from 'esbuild';
import { join } from 'node:path';
import { widgetDir } from './harness.mjs';

/** In the page before the widget: marks of what the visitor sees, and of the steps under it. */
export function recordMarks() {
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
  // The visitor socket: made, open, its first frame (the challenge), the hello sent, the
  // welcome and the first queue frame received (drawn is `queue` above).
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      once('socket');
      this.addEventListener('open', () => once('open'));
      this.addEventListener('message', (e) => {
        once('challenge');
        const type = JSON.parse(e.data).type;
        if (type === 'welcome') once('welcome');
        if (type === 'queue') once('queueFrame');
      });
    }
    send(data) {
      const frame = JSON.parse(data);
      if (/hello$/.test(frame.type) && !marks.hello) Object.assign(marks, { hello: performance.now(), tries: frame.pow_nonce + 1, ticketed: frame.type === 'ticket_hello' });
      super.send(data);
    }
  };
  // Each search worker: made, searching (its first report, 4,096 tries in), done. A worker
  // loads the widget's script itself (over the emulated network), so "made" to "searching"
  // is what starting one costs.
  const searches = (window.__searches = []);
  const Work = window.Worker;
  if (Work)
    window.Worker = class extends Work {
      constructor(...args) {
        super(...args);
        const mine = { made: performance.now() };
        searches.push(mine);
        this.addEventListener('message', (e) => {
          mine.searching ??= performance.now();
          mine.way ??= e.data?.way;
          if (e.data?.type === 'done') mine.done = performance.now();
        });
      }
    };
}

let probeSource = null;

/**
 * Tries per second of the widget's own search (`searchPow`, or with `way` 'native' the
 * browser's SHA-256, `searchPowNative`, whose digests partly run off the page's thread, out
 * of the emulation's reach) on the page's thread, where the
 * emulated CPU applies (it does not reach workers: Chromium refuses CPU throttling on a
 * worker's session, "only supported for pages"). A fixed number of tries at a difficulty no
 * nonce of them meets, so unlike a real search it does not depend on luck. Returns the tries
 * and the milliseconds they took.
 */
export async function pageHashRate(page, tries = 32_768, way = 'script') {
  probeSource ??= (
    await build({
      entryPoints: [join(widgetDir, 'src/crypto/proof_of_work.ts')],
      bundle: true,
      format: 'iife',
      globalName: '__pow',
      write: false,
      logLevel: 'silent',
    })
  ).outputFiles[0].text;
  await page.evaluate(probeSource);
  return page.evaluate(
    async ([tries, way]) => {
      const seed = crypto.getRandomValues(new Uint8Array(16));
      const start = performance.now();
      const found =
        way === 'native'
          ? await window.__pow.searchPowNative(crypto.subtle, seed, new Uint8Array(16), 28, 0, tries)
          : window.__pow.searchPow(seed, new Uint8Array(16), 28, 0, tries);
      const ms = performance.now() - start;
      // One chance in 8,000 of a 28-bit solution among them: counted as far as it got.
      return { tries: found < 0 ? tries : found + 1, ms };
    },
    [tries, way],
  );
}
