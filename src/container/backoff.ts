/**
 * Reconnect delays: `Backoff`, Proton's growing delay between reconnect attempts, and `reconnectDelays`,
 * which turns a connector's `reconnect` option into the sequence of delays to use.
 *
 * All times are in **milliseconds** (Proton Python counts seconds: its `Backoff(initial=0.1)` is
 * `new Backoff({ initial: 100 })` here).
 */
import { InvalidOptionError } from '../errors.js';

/**
 * The options of a {@link Backoff}, all in milliseconds (Proton: the `Backoff(**kwargs)` keywords, in
 * seconds).
 */
export interface BackoffOptions {
  /**
   * The delay before the first reconnect, in milliseconds (after the immediate first attempt).
   * Proton: `Backoff(initial=...)`, in seconds.
   * @default 100
   */
  initial?: number;
  /**
   * What each delay is multiplied by to give the next one; at least 1.
   * Proton: `Backoff(factor=...)`.
   * @default 2
   */
  factor?: number;
  /**
   * The longest delay, in milliseconds.
   * Proton: `Backoff(max_delay=...)`, in seconds.
   * @default 10000
   */
  maxDelay?: number;
  /**
   * How many values the sequence has in all, the leading 0 included; `undefined` for no end. Proton:
   * `Backoff(max_tries=...)`.
   * @default undefined
   */
  maxTries?: number;
  /**
   * How much of each delay may be taken off at random, from 0 (none: Proton's exact sequence) to 1: a
   * delay `d` becomes a value in `[d × (1 − jitter), d]`. Spreads the reconnects of many clients that
   * lost the same peer at the same moment. The growth of the sequence itself is not affected. proton-ts
   * only: Proton Python has no jitter.
   * @default 0
   */
  jitter?: number;
  /**
   * The source of randomness for `jitter`: a function giving a number in [0, 1). proton-ts only (no Proton
   * counterpart).
   * @default Math.random
   */
  random?: () => number;
}

/**
 * The delays between reconnect attempts, in milliseconds: 0 first (the first reconnect is immediate),
 * then `initial`, each next one `factor` times the last, never more than `maxDelay`, and `maxTries`
 * values in all (the leading 0 counts) or no end.
 *
 * ```ts
 * [...new Backoff({ maxTries: 4 })]                                   // [0, 100, 200, 400]
 * [...new Backoff({ initial: 1000, factor: 3, maxDelay: 20000, maxTries: 5 })] // [0, 1000, 3000, 9000, 20000]
 * ```
 *
 * Unlike Proton Python, where `iter(backoff)` hands back the same generator every time (so a `Backoff`
 * is never reset and, after a successful reconnect, goes on from where it stopped), each call of
 * `[Symbol.iterator]()` starts a fresh sequence from 0: one `Backoff` can serve many connections, and a
 * connection that got through starts again from the shortest delay. Also unlike Proton, an `initial`
 * larger than `maxDelay` is capped too (Proton yielded it once before capping).
 */
export class Backoff implements Iterable<number> {
  /** The delay after the immediate first reconnect, in milliseconds. Proton: `initial`, in seconds. */
  readonly initial: number;
  /** The growth factor of the delays. Proton: `factor`. */
  readonly factor: number;
  /** The longest delay, in milliseconds. Proton: `max_delay`, in seconds. */
  readonly maxDelay: number;
  /**
   * How many values the sequence has in all (the leading 0 included), or `undefined` for no end. Proton:
   * `max_tries`.
   */
  readonly maxTries: number | undefined;
  /**
   * The share of each delay that may be taken off at random, 0..1. proton-ts only (no Proton counterpart).
   */
  readonly jitter: number;
  readonly #random: () => number;

  /** @throws InvalidOptionError naming the option that is out of range or not a number */
  constructor(options: BackoffOptions = {}) {
    this.initial = check('initial', options.initial ?? 100, 0, Number.POSITIVE_INFINITY);
    this.factor = check('factor', options.factor ?? 2, 1, Number.POSITIVE_INFINITY);
    this.maxDelay = check('maxDelay', options.maxDelay ?? 10_000, 0, Number.POSITIVE_INFINITY);
    this.jitter = check('jitter', options.jitter ?? 0, 0, 1);
    const maxTries = options.maxTries;
    if (maxTries !== undefined && maxTries !== Number.POSITIVE_INFINITY) {
      if (typeof maxTries !== 'number' || !Number.isInteger(maxTries) || maxTries < 1) {
        throw new InvalidOptionError(
          'maxTries',
          `expected an integer of at least 1, found ${String(maxTries)}`,
        );
      }
    }
    this.maxTries = maxTries === Number.POSITIVE_INFINITY ? undefined : maxTries;
    const random = options.random ?? Math.random;
    if (typeof random !== 'function') throw new InvalidOptionError('random', 'expected a function');
    this.#random = random;
  }

  /**
   * A fresh sequence of delays, in milliseconds, starting from 0. Proton: `Backoff.__iter__()`, which
   * instead returns the same generator each time (see above).
   */
  *[Symbol.iterator](): Iterator<number> {
    const { factor, maxDelay, maxTries, jitter } = this;
    yield 0;
    let delay = Math.min(this.initial, maxDelay);
    for (let tries = 1; maxTries === undefined || tries < maxTries; tries++) {
      yield jitter === 0 ? delay : delay * (1 - jitter * this.#random());
      delay = Math.min(maxDelay, delay * factor);
    }
  }
}

function check(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    const range = max === Number.POSITIVE_INFINITY ? `at least ${min}` : `in ${min}..${max}`;
    throw new InvalidOptionError(option, `expected a number ${range}, found ${String(value)}`);
  }
  if (!Number.isFinite(value)) throw new InvalidOptionError(option, 'expected a finite number');
  return value;
}

/**
 * What the `reconnect` option of a connection may be: `undefined` or `true` for the default
 * {@link Backoff} (reconnect for ever), `false` for no reconnect, a `Backoff`, or any iterable of delays
 * in milliseconds (`[0, 500, 1000]`).
 */
export type ReconnectOption = boolean | Backoff | Iterable<number> | undefined;

/**
 * The delays, in milliseconds, a connector walks through for the `reconnect` option. As in Proton, the
 * first value stands for the first attempt (its delay is not waited for), and each later value is the
 * wait before the next reconnect; when the sequence ends, the connector gives up. Each delay is tried
 * with every URL of a failover list before moving on to the next one.
 *
 * - `undefined` or `true`: a new default `Backoff()`: 0, 100, 200, 400 ... 10000, 10000 ... without end;
 * - `false`: `[0]`, the first attempt and no reconnect;
 * - a `Backoff` or another iterable: its values as given, checked as they are read (a negative or
 *   non-finite delay is an {@link InvalidOptionError} naming `reconnect`). An array or a `Backoff` can
 *   be walked again; a generator object only once.
 *
 * @throws InvalidOptionError naming `reconnect` for a value of any other type
 */
export function reconnectDelays(reconnect: ReconnectOption): Iterable<number> {
  if (reconnect === undefined || reconnect === true) return new Backoff();
  if (reconnect === false) return [0];
  if (reconnect instanceof Backoff) return reconnect;
  if (reconnect === null || typeof (reconnect as Partial<Iterable<number>>)[Symbol.iterator] !== 'function') {
    throw new InvalidOptionError(
      'reconnect',
      `expected a boolean, a Backoff or an iterable of delays, found ${describeType(reconnect)}`,
    );
  }
  if (typeof reconnect === 'string') {
    throw new InvalidOptionError(
      'reconnect',
      'expected a boolean, a Backoff or an iterable of delays, found a string',
    );
  }
  return checkedDelays(reconnect);
}

function checkedDelays(delays: Iterable<number>): Iterable<number> {
  return {
    *[Symbol.iterator]() {
      for (const delay of delays) {
        if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) {
          throw new InvalidOptionError(
            'reconnect',
            `a delay must be a finite number of milliseconds, at least 0, found ${String(delay)}`,
          );
        }
        yield delay;
      }
    },
  };
}

function describeType(value: unknown): string {
  return value === null ? 'null' : typeof value;
}
