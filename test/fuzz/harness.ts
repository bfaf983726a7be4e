/**
 * The fuzz loop of one target, for a bounded time. fast-check generates the cases (which corpus entry,
 * which edits, how the bytes are cut, whether the stream ends); the property runs the target and never
 * fails itself: a failure is recorded with its input and the loop goes on, so one bug does not hide the
 * next. With coverage on, an input that runs new blocks of the library joins the corpus.
 *
 * Memory is watched two ways: an input whose run leaves the heap more than {@link allocBound} larger is
 * run again after a full collection, and fails if it does it again; and the heap after a full collection
 * at the end must be back within {@link LEAK_BOUND} of where it was at the start.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { coverageTracker } from './coverage.js';
import { applyMutations, type Case, caseArb } from './mutate.js';
import { type Chunking, describeError, type FailureKind, FuzzFailure, type FuzzTarget } from './target.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** What the heap may keep after a full collection at the end of a run, over where it started. */
export const LEAK_BOUND = 32 * 1024 * 1024;

/** What one input may leave allocated: a fixed allowance plus 64 bytes for each byte of input. */
export function allocBound(inputBytes: number): number {
  return 64 * 1024 * 1024 + 64 * inputBytes;
}

/** Inputs run between two takes of coverage. */
const BATCH = 32;

export interface FoundFailure {
  kind: FailureKind;
  message: string;
  units: Buffer[];
  chunking: Chunking;
  eof: boolean;
}

export interface FuzzStats {
  target: string;
  about: string;
  seconds: number;
  executions: number;
  seeds: number;
  /** Inputs kept for reaching new blocks. */
  kept: number;
  /** Distinct blocks of dist/src run (0 without coverage). */
  blocks: number;
  /** Executions in the coverage-guided phase. */
  guided: number;
  coverage: boolean;
  failures: FoundFailure[];
  /** Failures seen, duplicates included. */
  failureCount: number;
  slowestMs: number;
  /** Heap after a full collection at the end, minus at the start, in bytes. */
  heapGrowth: number;
}

export interface FuzzOptions {
  seconds: number;
  coverage: boolean;
  /** fast-check's seed, for a run that can be repeated. */
  seed?: number;
  /**
   * The share of the time spent coverage-guided (taking coverage costs far more than most inputs); the
   * rest mutates the corpus the guided phase grew, without coverage. @default 1
   */
  guidedShare?: number;
  /** Mutated inputs to run at the least, past the time if need be. @default 0 */
  minRuns?: number;
}

function heapNow(): number {
  const h = v8.getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}

export function settledHeap(): number {
  gc();
  gc();
  return heapNow();
}

export function fuzz(target: FuzzTarget, options: FuzzOptions): FuzzStats {
  const corpus = target.seeds();
  if (corpus.length === 0) throw new Error(`${target.name}: no seeds`);
  const stats: FuzzStats = {
    target: target.name,
    about: target.about,
    seconds: 0,
    executions: 0,
    seeds: corpus.length,
    kept: 0,
    blocks: 0,
    guided: 0,
    coverage: options.coverage,
    failures: [],
    failureCount: 0,
    slowestMs: 0,
    heapGrowth: 0,
  };
  const seen = new Set<string>();
  const tracker = options.coverage ? coverageTracker() : undefined;
  let cov = tracker;
  const started = performance.now();
  const coverageUntil = started + options.seconds * 1000 * (options.guidedShare ?? 1);
  const heapAtStart = settledHeap();

  const record = (e: unknown, units: Buffer[], chunking: Chunking, eof: boolean) => {
    stats.failureCount++;
    const kind: FailureKind = e instanceof FuzzFailure ? e.kind : 'crash';
    const message = e instanceof FuzzFailure ? e.message : `the target threw ${describeError(e)}`;
    const key = `${kind}:${message.replace(/\d+/g, 'N').slice(0, 160)}`;
    if (seen.has(key) || stats.failures.length >= 20) return;
    seen.add(key);
    stats.failures.push({ kind, message, units, chunking, eof });
  };

  /** Runs one input, recording a failure and checking what it left allocated. */
  const execute = (units: Buffer[], chunking: Chunking, eof: boolean): void => {
    const bytes = units.reduce((n, u) => n + u.length, 0);
    const before = heapNow();
    const t0 = performance.now();
    try {
      target.execute(units, chunking, eof);
    } catch (e) {
      record(e, units, chunking, eof);
    }
    stats.slowestMs = Math.max(stats.slowestMs, performance.now() - t0);
    stats.executions++;
    if (heapNow() - before > allocBound(bytes)) {
      // Garbage not yet collected, or a real hoard: run it again from a collected heap.
      const base = settledHeap();
      try {
        target.execute(units, chunking, eof);
      } catch {
        // recorded above
      }
      const kept = heapNow() - base;
      if (kept > allocBound(bytes)) {
        record(
          new FuzzFailure(
            'alloc',
            `${bytes} bytes of input left ${(kept / 2 ** 20).toFixed(0)} MiB allocated`,
          ),
          units,
          chunking,
          eof,
        );
      }
    }
  };

  // Inputs run since coverage was last taken.
  let batch: [Buffer[], Chunking, boolean][] = [];
  const endBatch = (): void => {
    if (cov === undefined || batch.length === 0) return;
    const fresh = cov.take();
    const ran = batch;
    batch = [];
    if (fresh.size === 0) return;
    // Something new ran: find which inputs ran it, to keep them, until every new block is placed.
    let unplaced = fresh.size;
    for (const [units, chunking, eof] of ran) {
      if (unplaced <= 0) break;
      try {
        target.execute(units, chunking, eof);
      } catch {
        // recorded the first time
      }
      const own = cov.take();
      if (own.size > 0) {
        for (const id of own) if (fresh.has(id)) unplaced--;
        cov.commit(own);
        corpus.push(units);
        stats.kept++;
      }
    }
    cov.commit(fresh);
  };
  const runOne = (units: Buffer[], chunking: Chunking, eof: boolean): void => {
    execute(units, chunking, eof);
    if (cov === undefined) return;
    if (performance.now() > coverageUntil) {
      // The guided phase is over: mutate the corpus it grew at full speed.
      endBatch();
      cov = undefined;
      return;
    }
    stats.guided++;
    batch.push([units, chunking, eof]);
    if (batch.length >= BATCH) endBatch();
  };

  // The seeds as they are, whole and cut in three-byte pieces, first: the ground the mutations stand on.
  for (const seed of [...corpus]) {
    runOne(seed, [], false);
    runOne(seed, [3], true);
  }
  const budget = Math.max(0, options.seconds * 1000 - (performance.now() - started));
  const property = fc.property(caseArb(target.dictionary), (c: Case) => {
    const input = corpus[c.entry % corpus.length]!;
    const units = applyMutations(input, c.mutations, (i) => corpus[i % corpus.length]!);
    runOne(units, c.chunking, c.eof);
    return true;
  });
  const seedRuns = stats.executions;
  if (budget >= 1) {
    try {
      fc.assert(property, {
        numRuns: Number.MAX_SAFE_INTEGER,
        interruptAfterTimeLimit: Math.floor(budget),
        markInterruptAsFailure: false,
        seed: options.seed,
      });
    } catch (e) {
      // The seeds took the whole budget: fast-check counts an interrupt before any run as a failure.
      if (!/interrupted after 0 tests/.test(String(e))) throw e;
    }
  }
  // A loaded machine may leave the time too short for any real fuzzing: make up the least asked for.
  const short = (options.minRuns ?? 0) - (stats.executions - seedRuns);
  if (short > 0) fc.assert(property, { numRuns: short, seed: options.seed });
  endBatch();
  stats.blocks = tracker?.size ?? 0;
  stats.seconds = (performance.now() - started) / 1000;
  corpus.length = 0;
  stats.heapGrowth = settledHeap() - heapAtStart;
  return stats;
}
