// The proof-of-work worker's own script (dist/pow-worker.js, a few KiB): the search and
// nothing else. A worker loads its script afresh (the widget's files are `no-store`), so
// starting one from the whole widget cost a phone on slow 3G about 1.6 s of download before
// the first try (docs/benchmarks.md, "The widget on a slow phone"). It must never hold more
// than the search: it is loaded without the page's integrity check.
import { runWorker } from './pow-solver';

runWorker(self as unknown as Parameters<typeof runWorker>[0]);
