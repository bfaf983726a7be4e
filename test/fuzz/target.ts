/**
 * What a fuzz target is, and what counts as a failure. A target takes one input (a list of units: the
 * protocol headers and frames of a stream, or the one string of a selector), runs the code under test on
 * it, and throws a {@link FuzzFailure} when that code misbehaved: an exception that is not one of the
 * library's typed errors, a transport that does not end cleanly, a push slower than {@link HANG_MS}.
 * Anything else a target throws is a failure too (a bug in the target is worth knowing about).
 */

/** The longest one push (or one parse) may take before it counts as a hang. */
export const HANG_MS = 1000;

/** How a target's code misbehaved. */
export type FailureKind = 'crash' | 'hang' | 'alloc' | 'state';

export class FuzzFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'FuzzFailure';
  }
}

/** How an input is cut into the chunks a socket would deliver: sizes used in turn; empty for whole. */
export type Chunking = readonly number[];

export interface FuzzTarget {
  readonly name: string;
  /** One line on what it exercises, for the report. */
  readonly about: string;
  /** The seeds: real traffic and hand-made inputs, each a list of units. */
  seeds(): Buffer[][];
  /** Byte strings worth inserting (format codes, keywords), beside random bytes. */
  readonly dictionary: readonly Buffer[];
  /** Whether the input is text (mutations keep it mostly printable). */
  readonly text?: boolean;
  /**
   * Runs one input, cut as `chunking` says, then (when `eof`) ends the stream; throws a
   * {@link FuzzFailure} (or anything) when the code under test misbehaved.
   */
  execute(units: readonly Buffer[], chunking: Chunking, eof: boolean): void;
}

/** Cuts `input` into chunks of the given sizes, used in turn (whole when there are none). */
export function chunksOf(input: Buffer, chunking: Chunking): Buffer[] {
  if (input.length === 0) return [];
  if (chunking.length === 0) return [input];
  const out: Buffer[] = [];
  for (let i = 0, k = 0; i < input.length; k++) {
    const n = Math.max(1, chunking[k % chunking.length]!);
    out.push(input.subarray(i, i + n));
    i += n;
  }
  return out;
}

/** Runs `f`, failing with a hang when it took longer than {@link HANG_MS}. */
export function timed<T>(what: string, f: () => T): T {
  const start = performance.now();
  const r = f();
  const ms = performance.now() - start;
  if (ms > HANG_MS) throw new FuzzFailure('hang', `${what} took ${ms.toFixed(0)} ms`);
  return r;
}

/** Rethrows `e` as a crash unless it is an instance of one of the `allowed` error classes. */
export function allowOnly(
  e: unknown,
  what: string,
  ...allowed: (abstract new (
    ...a: never[]
  ) => Error)[]
): void {
  if (allowed.some((c) => e instanceof c)) return;
  if (e instanceof FuzzFailure) throw e;
  throw new FuzzFailure('crash', `${what} threw ${describeError(e)}`, { cause: e });
}

export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}${e.stack ? ` @ ${firstFrames(e.stack)}` : ''}`;
  return String(e);
}

function firstFrames(stack: string): string {
  return stack
    .split('\n')
    .slice(1, 4)
    .map((l) =>
      l
        .trim()
        .replace(/^at /, '')
        .replace(/file:\/\/\S*\/dist\//, ''),
    )
    .join(' < ');
}
