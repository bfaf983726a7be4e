/**
 * One way to await anything in the promise API: a promise that settles when the engine says so, or
 * fails with `Timeout` when its time is up, or with `OperationAborted` when its AbortSignal fires. On
 * every path the timer and the abort listener are removed, and `cleanup` runs once, told whether the
 * wait was called off (so it can undo what it started: close a link half opened, drop a queued send).
 */
import { OperationAborted, Timeout } from '../errors.js';

/**
 * What every awaitable call of the promise API takes. Proton: the `timeout` argument of the blocking calls
 * (`BlockingConnection.wait()`); the signal is proton-ts only.
 */
export interface WaitOptions {
  /**
   * Calls the operation off: it rejects with `OperationAborted` and undoes what it started. Default none.
   * proton-ts only: Proton Python has no counterpart.
   */
  signal?: AbortSignal | undefined;
  /**
   * Milliseconds before the operation gives up with `Timeout` (and undoes what it started); 0 or
   * Infinity for no limit. Proton: the blocking calls' `timeout`, in seconds (`Timeout` on expiry).
   * @default the connection's `timeout` (none unless given)
   */
  timeout?: number | undefined;
}

/** How a started wait is completed, from the engine's side. */
export interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * Starts a wait. `start` registers whatever will settle it and returns the cleanup, called once
 * whichever way the wait ends, with `cancelled` true for a timeout or an abort. `start` may settle at
 * once (the condition already holds): no timer is armed then.
 */
export function waitFor<T>(
  what: string,
  options: WaitOptions,
  start: (settle: Settle<T>) => ((cancelled: boolean) => void) | undefined,
): Promise<T> {
  const { signal, timeout } = options;
  if (signal?.aborted) {
    return Promise.reject(new OperationAborted(`${what}: aborted`, { cause: signal.reason }));
  }
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let cleanup: ((cancelled: boolean) => void) | undefined;
    const finish = (cancelled: boolean): boolean => {
      if (done) return false;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      cleanup?.(cancelled);
      return true;
    };
    const onAbort = (): void => {
      if (finish(true)) reject(new OperationAborted(`${what}: aborted`, { cause: signal?.reason }));
    };
    const settle: Settle<T> = {
      resolve: (v) => {
        if (finish(false)) resolve(v);
      },
      reject: (e) => {
        if (finish(false)) reject(e);
      },
    };
    cleanup = start(settle);
    if (done) {
      // Settled inside start: run the cleanup it returned only now that we have it.
      cleanup?.(false);
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined && timeout > 0 && Number.isFinite(timeout)) {
      timer = setTimeout(() => {
        if (finish(true)) reject(new Timeout(`${what}: timed out after ${timeout} ms`));
      }, timeout);
    }
  });
}

/** `options` with the default timeout filled in where none was given. */
export function withDefaults(options: WaitOptions | undefined, timeout: number | undefined): WaitOptions {
  if (options?.timeout !== undefined || timeout === undefined) return options ?? {};
  return { ...options, timeout };
}
