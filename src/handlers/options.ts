/**
 * The checking of handler options: an options object may hold only the keys its handler knows, each of
 * its type. A wrong one throws an {@link InvalidOptionError} naming it. The caller's object is never
 * changed; `undefined` stands for the default.
 */
import { InvalidOptionError } from '../errors.js';
import type { Logger } from '../util/logger.js';

/** What an option holds. */
export type OptionKind =
  /** `true` or `false`. */
  | 'boolean'
  /** A whole number, 0 or more. */
  | 'count'
  /** A {@link Logger}: an object with `debug`, `info`, `warn` and `error` functions. */
  | 'logger'
  /** Any object (a handler). */
  | 'object';

const LOGGER_METHODS = ['debug', 'info', 'warn', 'error'] as const;

function isObject(v: unknown): v is object {
  return (typeof v === 'object' && v !== null) || typeof v === 'function';
}

/** Whether `v` has every method of a {@link Logger}. */
export function isLogger(v: unknown): v is Logger {
  if (!isObject(v)) return false;
  const o = v as Record<string, unknown>;
  return LOGGER_METHODS.every((m) => typeof o[m] === 'function');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint')
    return `${typeof v} ${String(v)}`;
  return `a ${typeof v}`;
}

function checkValue(owner: string, key: string, kind: OptionKind, value: unknown): void {
  switch (kind) {
    case 'boolean':
      if (typeof value !== 'boolean')
        throw new InvalidOptionError(key, `${owner}: must be a boolean, not ${describe(value)}`);
      return;
    case 'count':
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
        throw new InvalidOptionError(key, `${owner}: must be a whole number >= 0, not ${describe(value)}`);
      }
      return;
    case 'logger':
      if (!isLogger(value)) {
        throw new InvalidOptionError(
          key,
          `${owner}: must be a Logger (debug, info, warn and error functions), not ${describe(value)}`,
        );
      }
      return;
    case 'object':
      if (!isObject(value) || Array.isArray(value)) {
        throw new InvalidOptionError(key, `${owner}: must be an object, not ${describe(value)}`);
      }
      return;
  }
}

/**
 * Checks `options` against `kinds` (option name to kind): undefined passes (every default), anything but
 * a plain object fails, and so does a key not in `kinds` or a value not of its kind. `owner` names the
 * handler in the message.
 */
export function checkOptions(
  owner: string,
  options: unknown,
  kinds: Readonly<Record<string, OptionKind>>,
): void {
  if (options === undefined) return;
  if (!isObject(options) || Array.isArray(options) || typeof options === 'function') {
    throw new InvalidOptionError('options', `${owner}: options must be an object, not ${describe(options)}`);
  }
  for (const [key, value] of Object.entries(options)) {
    if (!Object.hasOwn(kinds, key)) {
      const known = Object.keys(kinds).join(', ');
      throw new InvalidOptionError(key, `${owner} has no such option (it takes ${known})`);
    }
    if (value !== undefined) checkValue(owner, key, kinds[key]!, value);
  }
}
