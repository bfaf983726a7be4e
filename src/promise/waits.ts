/**
 * The waits an object (a connection, a link) has under way, so that when it fails every one of them
 * fails with it at once, and a wait started after the failure fails at once too.
 */
import { type Settle, type WaitOptions, waitFor } from './wait.js';

/** Turns the failure of the owner into the error a given wait rejects with (a send in doubt...). */
export type FailureMap = (error: Error) => unknown;

export class Waits {
  private readonly failers = new Set<(e: Error) => void>();
  /** Why the owner can no longer complete anything; undefined while it can. */
  failure: Error | undefined = undefined;

  constructor(
    /** The waits of the object this one belongs to (a link's connection): they fail too. */
    private readonly parent?: Waits,
  ) {}

  /** How many waits are under way (for tests and diagnostics). */
  get size(): number {
    return this.failers.size;
  }

  /** Starts a wait that also fails when the owner (or its parent) fails. */
  wait<T>(
    what: string,
    options: WaitOptions,
    start: (settle: Settle<T>) => ((cancelled: boolean) => void) | undefined,
    map?: FailureMap,
  ): Promise<T> {
    const failure = this.failure ?? this.parent?.failure;
    if (failure !== undefined) return Promise.reject(map === undefined ? failure : map(failure));
    return waitFor<T>(what, options, (settle) => {
      const fail = (e: Error): void => settle.reject(map === undefined ? e : map(e));
      this.failers.add(fail);
      this.parent?.failers.add(fail);
      const cleanup = start(settle);
      return (cancelled) => {
        this.failers.delete(fail);
        this.parent?.failers.delete(fail);
        cleanup?.(cancelled);
      };
    });
  }

  /** The owner failed: every wait rejects with `error` (mapped), and later ones will at once. */
  fail(error: Error): void {
    this.failure ??= error;
    for (const f of [...this.failers]) f(error);
  }
}
