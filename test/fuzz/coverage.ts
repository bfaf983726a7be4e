/**
 * Coverage guidance with no dependency: V8's precise block coverage, read through `node:inspector`
 * after each input. An input that runs a block of the library (dist/src) never run before is kept in the
 * corpus, so later mutations start from it.
 *
 * V8 reports, per function run since the last take, nested ranges with a count; a block's count is that
 * of the innermost range around it. A block shows up as a range of count 0 while it is not run, and
 * then drops out of the list (or shows as a nested count > 0) once it is. So each function's blocks are
 * remembered from every report, and a block is covered when the innermost range around it counts > 0.
 * Binary mode (callCount false) keeps the cost of a take near one or two milliseconds, still ten times
 * the cost of most inputs: so the harness takes coverage once per batch of inputs, and only when a batch
 * ran something new does it run them again one by one to find which.
 */
import { Session } from 'node:inspector';

interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface FunctionCoverage {
  functionName: string;
  ranges: Range[];
}
interface ScriptCoverage {
  url: string;
  functions: FunctionCoverage[];
}

export class CoverageTracker {
  private readonly session = new Session();
  /** Every block seen, by function (`url:start`), as `start:end` keys. */
  private readonly blocks = new Map<string, Set<string>>();
  /** Blocks seen run. */
  private readonly covered = new Set<string>();

  constructor(private readonly filter: (url: string) => boolean = (u) => u.includes('/dist/src/')) {
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: false, detailed: true });
  }

  /** The number of distinct blocks run so far. */
  get size(): number {
    return this.covered.size;
  }

  /**
   * Reads what ran since the last call; returns the blocks that ran for the first time (not yet counted
   * as covered: {@link commit} does that, once the input that ran them is known).
   */
  take(): Set<string> {
    const result = this.post('Profiler.takePreciseCoverage') as { result: ScriptCoverage[] };
    const fresh = new Set<string>();
    for (const script of result.result) {
      if (!this.filter(script.url)) continue;
      for (const fn of script.functions) {
        const ranges = fn.ranges;
        if (ranges.length === 0 || ranges[0]!.count === 0) continue;
        const key = `${script.url}:${ranges[0]!.startOffset}`;
        let known = this.blocks.get(key);
        if (known === undefined) {
          known = new Set();
          this.blocks.set(key, known);
        }
        for (const r of ranges) known.add(`${r.startOffset}:${r.endOffset}`);
        for (const b of known) {
          const id = `${key}/${b}`;
          if (this.covered.has(id)) continue;
          const [s, e] = b.split(':').map(Number) as [number, number];
          if (innermostCount(ranges, s, e) > 0) fresh.add(id);
        }
      }
    }
    return fresh;
  }

  /** Counts blocks as covered. */
  commit(ids: Iterable<string>): void {
    for (const id of ids) this.covered.add(id);
  }

  /** Forgets what was covered (a new target starts from nothing). */
  reset(): void {
    this.take();
    this.blocks.clear();
    this.covered.clear();
  }

  close(): void {
    this.post('Profiler.stopPreciseCoverage');
    this.post('Profiler.disable');
    this.session.disconnect();
  }

  /** Same-thread inspector calls answer synchronously: the callback has run when `post` returns. */
  private post(method: string, params?: object): unknown {
    let error: Error | null = null;
    let result: unknown;
    this.session.post(method, params, (err, res) => {
      error = err;
      result = res;
    });
    if (error !== null) throw error;
    return result;
  }
}

let shared: CoverageTracker | undefined;

/**
 * The process's one tracker, reset. One for all targets: code V8 compiled while coverage was off has no
 * block counters, so stopping and starting coverage again between targets would blind the later ones.
 */
export function coverageTracker(): CoverageTracker {
  shared ??= new CoverageTracker();
  shared.reset();
  return shared;
}

/** Stops coverage (for a test that fuzzes in a process that goes on). */
export function stopCoverage(): void {
  shared?.close();
  shared = undefined;
}

/** The count of the innermost range holding [s, e): ranges come outermost first. */
function innermostCount(ranges: readonly Range[], s: number, e: number): number {
  let count = 0;
  let width = Number.POSITIVE_INFINITY;
  for (const r of ranges) {
    if (r.startOffset <= s && r.endOffset >= e && r.endOffset - r.startOffset <= width) {
      width = r.endOffset - r.startOffset;
      count = r.count;
    }
  }
  return count;
}
