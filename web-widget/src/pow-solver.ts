// Runs the proof-of-work search (crypto/proof_of_work.ts) in Web Workers made from
// `pow-worker.js` beside the widget's script (same origin, so CSP `script-src 'self'` allows
// it and no blob: is needed), one per spare core, with progress, and stops them all when the search is called
// off. Where a worker cannot start (the script is cross-origin) it searches in slices on the
// main thread so the page stays responsive.
import { searchPow, searchPowNative } from './crypto/proof_of_work';
import type { Solver } from './chat';

const SLICE = 4096;

/** Expected fraction done after `tried` attempts at this difficulty (never reaches 1). */
export function expectedProgress(tried: number, difficulty: number): number {
  return 1 - Math.exp(-tried / 2 ** difficulty);
}

/** What a solver throws when its search was called off (the visitor went back, or too slow). */
export const CANCELLED = 'pow cancelled';

export function mainThreadSolver(): Solver {
  return async (seed, context, difficulty, progress, signal) => {
    for (let from = 0; ; from += SLICE) {
      if (signal?.aborted) throw new Error(CANCELLED);
      const n = searchPow(seed, context, difficulty, from, SLICE);
      if (n >= 0) return n;
      progress(expectedProgress(from + SLICE, difficulty));
      await new Promise((r) => setTimeout(r, 0));
    }
  };
}

/**
 * Workers to search with: the device's cores but the page's own, at most four. A phone of ten
 * years ago has four to eight slow cores: one worker would leave most of them idle while the
 * visitor waits.
 */
export function workerCount(cores: number | undefined): number {
  return Math.max(1, Math.min(4, (cores || 1) - 1));
}

/** What a workers-only solver throws where no worker can search. */
export const NO_WORKERS = 'pow needs workers';

/**
 * Searches in workers; where none can start, on the main thread, or (`mainThreadToo` false:
 * a search no one is waiting for, which must not take the page's thread) not at all.
 */
export function workerSolver(scriptUrl: string | null, mainThreadToo = true): Solver {
  const fallback: Solver = mainThreadToo ? mainThreadSolver() : () => Promise.reject(new Error(NO_WORKERS));
  return (seed, context, difficulty, progress, signal) =>
    new Promise<number>((resolve, reject) => {
      // Called off before it began (Back while the seed was on its way): no worker starts,
      // for the abort event has fired already and would never reach them.
      if (signal?.aborted) {
        reject(new Error(CANCELLED));
        return;
      }
      const workers: Worker[] = [];
      let settled = false;
      const stop = () => {
        settled = true;
        workers.forEach((w) => w.terminate());
      };
      // once, however many workers fail
      const mainThread = () => {
        if (settled) return;
        stop();
        resolve(fallback(seed, context, difficulty, progress, signal));
      };
      const count = workerCount(navigator.hardwareConcurrency);
      try {
        const url = scriptUrl && new URL('pow-worker.js', new URL(scriptUrl, location.href));
        if (!url || url.origin !== location.origin) throw new Error('cross-origin');
        for (let i = 0; i < count; i++) workers.push(new Worker(url));
      } catch {
        mainThread();
        return;
      }
      // Called off: the workers stop at once, so a cancelled search costs the phone nothing more.
      signal?.addEventListener('abort', () => {
        stop();
        reject(new Error(CANCELLED));
      });
      const tried = workers.map(() => 0);
      workers.forEach((worker, i) => {
        worker.onmessage = (e: MessageEvent) => {
          const d = e.data;
          if (d && d.type === 'progress') {
            tried[i] = d.tried;
            progress(expectedProgress(tried.reduce((a, b) => a + b, 0), difficulty));
          } else if (d && d.type === 'done' && !settled) {
            stop();
            resolve(d.nonce);
          }
        };
        worker.onerror = (e) => {
          e.preventDefault();
          mainThread();
        };
        // worker i searches slices i, i + count, i + 2 × count, …
        worker.postMessage({ seed, context, difficulty, first: i, stride: count });
      });
    });
}

/** Tries of each way a worker times before it keeps the faster for the rest of its search. */
const TRIAL = 256;
/** Tries by the script's SHA-256 first, untimed: before the JIT has compiled it, it is slow. */
const WARM = 1024;

/**
 * The worker side (pow-worker.ts): searches its slices until one holds a solution. Its first
 * slice begins with WARM tries by the script's SHA-256, then TRIAL by it and TRIAL by the
 * browser's own, both timed; the faster searches the rest. With the JIT on the script's is
 * usually faster (no waiting on another thread); with it off the browser's is about twenty
 * times faster. Where WebCrypto is missing (not a secure context) or fails, the script's
 * searches alone. Every try counts, in order: the answer is the first solution in the slice.
 */
export function runWorker(scope: { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown): void }): void {
  scope.onmessage = async (e: MessageEvent) => {
    const { seed, context, difficulty, first = 0, stride = 1 } = e.data;
    type Search = (from: number, count: number) => Promise<number>;
    const script: Search = async (from, count) => searchPow(seed, context, difficulty, from, count);
    const subtle = globalThis.crypto?.subtle;
    const native: Search | undefined = subtle && ((from, count) => searchPowNative(subtle, seed, context, difficulty, from, count));
    const done = (nonce: number) => scope.postMessage({ type: 'done', nonce });
    const timed = async (way: Search, from: number, count: number) => {
      const t0 = performance.now();
      const n = await way(from, count);
      return { n, ms: performance.now() - t0 };
    };
    let search = script;
    // Where the first slice goes on after the trial.
    let next = first * SLICE;
    if (native) {
      const warm = await script(next, WARM);
      if (warm >= 0) return done(warm);
      next += WARM;
      const byScript = await timed(script, next, TRIAL);
      if (byScript.n >= 0) return done(byScript.n);
      next += TRIAL;
      // A WebCrypto that fails has made none of its tries: the script's searches them.
      const byNative = await timed(native, next, TRIAL).catch(() => null);
      if (byNative) {
        if (byNative.n >= 0) return done(byNative.n);
        next += TRIAL;
        if (byNative.ms < byScript.ms) search = native;
      }
    }
    for (let k = 0; ; k++) {
      const from = (first + k * stride) * SLICE;
      const start = k === 0 ? next : from;
      const n = await search(start, from + SLICE - start);
      if (n >= 0) return done(n);
      // `way`: which SHA-256 it kept, for the performance test's report.
      if (k % 4 === 0) scope.postMessage({ type: 'progress', tried: (k + 1) * SLICE, way: search === script ? 'script' : 'native' });
    }
  };
}
