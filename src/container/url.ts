/**
 * `Url`: the address of an AMQP peer, parsed with Proton's rules and defaults
 * (`[scheme://][user[:password]@][host][:port][/path]`).
 *
 * The rules Proton Python applies, and which this class keeps:
 * - text without `scheme://` is a network location, so `localhost:5672/queue` and `user@host` parse as
 *   host and port, not as a scheme; `examples` alone is a **host**;
 * - the scheme and the host are lower-cased; `[::1]` gives the host `::1`;
 * - the username and password are percent-decoded;
 * - `path` has no leading `/`: `host/` gives `''`, no path gives `undefined`;
 * - the port may be a number or the service name `amqp` (5672) or `amqps` (5671), and `toString()` prints
 *   it as it was given (`amqp://localhost:amqp`);
 * - with `defaults` (the default) a missing scheme becomes `amqp`, a missing host `0.0.0.0` and a missing
 *   port the scheme's port.
 *
 * Where proton-ts deliberately differs from Proton Python 0.37:
 * - `toString()` masks the password as `***` (as Proton's `main` does); `href` is the unmasked form,
 *   with the password percent-encoded so that it parses back (0.37 printed `p%2Fw` as `p/w`);
 * - the port is checked when the `Url` is built, not when it is first read: a port that is neither a
 *   number in 0..65535 nor `amqp`/`amqps` is an {@link InvalidOptionError} naming `port`
 *   (`host:1:2` is refused, where Proton silently took `1`);
 * - an explicit port 0 is kept (Proton replaced a numeric 0 by the default port); 0 asks `listen` for
 *   an ephemeral port;
 * - a `;` belongs to the path (Python's `urlparse` split `host/a;b` into path `a` and params `b`, but
 *   not `amqp://host/a;b`);
 * - `equals()` compares the parts, port by number and password included, where Proton compared the
 *   strings (so `localhost` and `localhost:5672` differed);
 * - a `Url` is immutable: derive another with `new Url(url, { host: 'other' })`.
 */
import { InvalidOptionError } from '../errors.js';

/** The default port of each scheme proton-ts connects with. */
export const DEFAULT_PORTS = { amqp: 5672, amqps: 5671 } as const;

/** A scheme that has a default port. */
export type UrlScheme = keyof typeof DEFAULT_PORTS;

/** The default port of a scheme (5672 for `amqp`, 5671 for `amqps`), or `undefined` for any other. */
export function defaultPort(scheme: string): number | undefined {
  return Object.hasOwn(DEFAULT_PORTS, scheme) ? DEFAULT_PORTS[scheme as UrlScheme] : undefined;
}

/**
 * The parts of a URL a caller may give or override. Proton: the `Url(url, defaults, **kwargs)` arguments.
 */
export interface UrlOptions {
  /**
   * Fill in a missing scheme (`amqp`), host (`0.0.0.0`) and port (the scheme's default port). Proton:
   * `defaults`, and `Url.defaults()`.
   * @default true
   */
  defaults?: boolean;
  /** The scheme, replacing the parsed one: `amqp` or `amqps`. Proton: the `scheme` keyword. */
  scheme?: string;
  /** The user name, replacing the parsed one (not percent-encoded). Proton: the `username` keyword. */
  username?: string;
  /** The password, replacing the parsed one (not percent-encoded). Proton: the `password` keyword. */
  password?: string;
  /**
   * The host name or address, replacing the parsed one; an IPv6 address with or without brackets.
   * Proton: the `host` keyword.
   */
  host?: string;
  /**
   * The port, replacing the parsed one: a number in 0..65535 or the service name `amqp` or `amqps`.
   * Proton: the `port` keyword.
   */
  port?: number | string;
  /** The path (the AMQP address), replacing the parsed one; a leading `/` is dropped. */
  path?: string;
}

/**
 * Reads a port: an integer in 0..65535 (as a number or a string of digits), or the service name `amqp`
 * (5672) or `amqps` (5671).
 * @param option the option name an {@link InvalidOptionError} gives
 * @throws InvalidOptionError when the value is anything else
 */
export function parsePort(value: unknown, option = 'port'): number {
  return readPort(value, option).port;
}

function readPort(value: unknown, option: string): { port: number; text: string } {
  let port: number | undefined;
  if (typeof value === 'number') port = value;
  else if (typeof value === 'string') port = /^[0-9]{1,5}$/.test(value) ? Number(value) : defaultPort(value);
  if (port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidOptionError(
      option,
      `not a valid port number or service name: ${showValue(value)} (a number in 0..65535, 'amqp' or 'amqps')`,
    );
  }
  return { port, text: String(value) };
}

function showValue(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

/** An address of an AMQP peer: `[scheme://][user[:password]@][host][:port][/path]`. See the module notes. */
export class Url {
  /** The scheme of plain AMQP. Proton: `Url.AMQP`. */
  static readonly AMQP = 'amqp';
  /** The scheme of AMQP over TLS. Proton: `Url.AMQPS`. */
  static readonly AMQPS = 'amqps';
  /** The host a `Url` gets when none is given and `defaults` is on (Proton's default). */
  static readonly DEFAULT_HOST = '0.0.0.0';

  /** The scheme, lower-cased (`amqp`, `amqps`), or `undefined`. Proton: `Url.scheme`. */
  readonly scheme: string | undefined;
  /**
   * The user name, percent-decoded; `''` for `:pass@host`; `undefined` when the URL has no `@`. Proton:
   * `Url.username`.
   */
  readonly username: string | undefined;
  /** The host, lower-cased, without the brackets of an IPv6 literal. Proton: `Url.host`. */
  readonly host: string | undefined;
  /** The port number; a service name has been turned into its number. Proton: `Url.port`. */
  readonly port: number | undefined;
  /**
   * The path (the AMQP node address) without its leading `/`; `undefined` when there is none. Proton:
   * `Url.path`.
   */
  readonly path: string | undefined;

  /** Never printed back: a private field, so that neither `Object.keys` nor `util.inspect` shows it. */
  readonly #password: string | undefined;
  /** The port as it was given (`amqp`, `5672`), for `toString()`. */
  readonly #portText: string | undefined;
  readonly #query: string | undefined;
  readonly #fragment: string | undefined;

  /**
   * Parses `text` (or copies another `Url`), then applies the overrides in `options`, then the defaults.
   * @throws InvalidOptionError naming `port` for a bad port (or no default port for the scheme), `scheme`
   *   for a malformed scheme, `host` for an unclosed `[`, `url` for text with control characters
   */
  constructor(text?: string | Url, options: UrlOptions = {}) {
    let parts: UrlParts;
    if (text instanceof Url) {
      parts = {
        scheme: text.scheme,
        username: text.username,
        password: text.#password,
        host: text.host,
        port: text.port,
        portText: text.#portText,
        path: text.path,
        query: text.#query,
        fragment: text.#fragment,
      };
    } else if (text === undefined || text === '') {
      parts = {};
    } else if (typeof text === 'string') {
      parts = parseUrl(text);
    } else {
      throw new InvalidOptionError('url', `expected a string or a Url, found ${typeof text}`);
    }

    if (options.scheme !== undefined) parts.scheme = checkScheme(options.scheme);
    if (options.username !== undefined) parts.username = options.username;
    if (options.password !== undefined) parts.password = options.password;
    if (options.host !== undefined) parts.host = normaliseHost(options.host);
    if (options.port !== undefined) {
      const { port, text: portText } = readPort(options.port, 'port');
      parts.port = port;
      parts.portText = portText;
    }
    if (options.path !== undefined)
      parts.path = options.path.startsWith('/') ? options.path.slice(1) : options.path;

    if (options.defaults ?? true) {
      if (!parts.scheme) parts.scheme = Url.AMQP;
      if (!parts.host) parts.host = Url.DEFAULT_HOST;
      if (parts.port === undefined) {
        const port = defaultPort(parts.scheme);
        if (port === undefined) {
          throw new InvalidOptionError(
            'port',
            `no port given, and scheme '${parts.scheme}' has no default port`,
          );
        }
        parts.port = port;
        parts.portText = parts.scheme;
      }
    }

    this.scheme = parts.scheme || undefined;
    this.username = parts.username;
    this.#password = parts.password;
    this.host = parts.host || undefined;
    this.port = parts.port;
    this.#portText = parts.portText;
    this.path = parts.path;
    this.#query = parts.query;
    this.#fragment = parts.fragment;
  }

  /**
   * The password, percent-decoded, or `undefined`. Handle it as a secret: `toString()`, `toJSON()` and
   * `util.inspect` mask it. Proton: `Url.password`.
   */
  get password(): string | undefined {
    return this.#password;
  }

  /**
   * The full URL with the password in clear (percent-encoded), for internal use such as comparing or
   * re-parsing. Never log it: log `toString()`. Proton: `str(url)` in 0.37, which did not mask the password.
   */
  get href(): string {
    return this.#format(false);
  }

  /**
   * The URL as Proton prints it (`amqp://user:***@host:amqp/path`), the port as it was given, and the
   * password always masked as `***` so that credentials are never printed back.
   */
  toString(): string {
    return this.#format(true);
  }

  /** The masked form: `JSON.stringify` never writes the password. proton-ts only (no Proton counterpart). */
  toJSON(): string {
    return this.toString();
  }

  /** The masked form for `console.log` and `util.inspect`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Url('${this.toString()}')`;
  }

  /**
   * True when both URLs have the same parts: scheme, username, password, host, port number, path, query
   * and fragment (so `localhost` equals `localhost:5672`; Proton compared the printed strings).
   */
  equals(other: Url): boolean {
    return (
      other instanceof Url &&
      this.scheme === other.scheme &&
      this.username === other.username &&
      this.#password === other.#password &&
      this.host === other.host &&
      this.port === other.port &&
      this.path === other.path &&
      this.#query === other.#query &&
      this.#fragment === other.#fragment
    );
  }

  #format(mask: boolean): string {
    let user = '';
    if (this.username) user += quote(this.username);
    if (this.#password) user += `:${mask ? '***' : quote(this.#password)}`;
    if (this.username || this.#password) user += '@';
    let hostPort = '';
    if (this.host) hostPort += this.host.includes(':') ? `[${this.host}]` : this.host;
    if (this.#portText !== undefined) hostPort += `:${this.#portText}`;
    const netloc = user + hostPort;
    const scheme = this.scheme ? `${this.scheme}:` : '';
    let out = scheme + (netloc || this.scheme ? `//${netloc}` : '');
    if (this.path !== undefined) out += `/${this.path}`;
    if (this.#query) out += `?${this.#query}`;
    if (this.#fragment) out += `#${this.#fragment}`;
    return out;
  }
}

interface UrlParts {
  scheme?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  portText?: string | undefined;
  path?: string | undefined;
  query?: string | undefined;
  fragment?: string | undefined;
}

function parseUrl(input: string): UrlParts {
  let text = input.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    throw new InvalidOptionError('url', 'a URL may not contain control characters');
  }
  // Text without `scheme://` is a network location: `host:port/path`, `user@host`, `host:amqps`.
  if (!text.startsWith('//')) {
    const colon = text.indexOf(':');
    const before = colon < 0 ? text : text.slice(0, colon);
    const after = colon < 0 ? '' : text.slice(colon + 1);
    if (before.includes('/') || !after.startsWith('//')) text = `//${text}`;
  }
  const parts: UrlParts = {};
  let rest = text;
  const colon = rest.indexOf(':');
  if (colon > 0 && SCHEME.test(rest.slice(0, colon))) {
    parts.scheme = rest.slice(0, colon).toLowerCase();
    rest = rest.slice(colon + 1);
  }
  let netloc = '';
  if (rest.startsWith('//')) {
    const end = rest.slice(2).search(/[/?#]/);
    netloc = end < 0 ? rest.slice(2) : rest.slice(2, end + 2);
    rest = end < 0 ? '' : rest.slice(end + 2);
  }
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    parts.fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  const question = rest.indexOf('?');
  if (question >= 0) {
    parts.query = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }
  if (rest) parts.path = rest.startsWith('/') ? rest.slice(1) : rest;

  const at = netloc.lastIndexOf('@');
  if (at >= 0) {
    const userInfo = netloc.slice(0, at);
    const sep = userInfo.indexOf(':');
    parts.username = unquote(sep < 0 ? userInfo : userInfo.slice(0, sep));
    if (sep >= 0) parts.password = unquote(userInfo.slice(sep + 1));
  }
  const hostPort = netloc.slice(at + 1);
  let host: string;
  let portText: string;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    const after = close < 0 ? '' : hostPort.slice(close + 1);
    if (close < 0 || (after !== '' && !after.startsWith(':'))) {
      throw new InvalidOptionError('host', `malformed IPv6 literal in '${hostPort}'`);
    }
    host = hostPort.slice(1, close);
    portText = after.slice(1);
  } else {
    if (hostPort.includes('[') || hostPort.includes(']')) {
      throw new InvalidOptionError('host', `malformed IPv6 literal in '${hostPort}'`);
    }
    const sep = hostPort.indexOf(':');
    host = sep < 0 ? hostPort : hostPort.slice(0, sep);
    portText = sep < 0 ? '' : hostPort.slice(sep + 1);
  }
  if (host) parts.host = host.toLowerCase();
  if (portText) {
    const { port, text: given } = readPort(portText, 'port');
    parts.port = port;
    parts.portText = given;
  }
  return parts;
}

function checkScheme(scheme: string): string {
  if (!SCHEME.test(scheme)) throw new InvalidOptionError('scheme', `not a valid URL scheme: '${scheme}'`);
  return scheme.toLowerCase();
}

function normaliseHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return bare.toLowerCase();
}

/** Percent-decodes as Python's `unquote` does: bytes as UTF-8, a malformed `%` sequence left as it is. */
function unquote(text: string): string {
  if (!text.includes('%')) return text;
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) =>
    Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'),
  );
}

/** Percent-encodes all but letters, digits and `-._~` (so `/`, `:` and `@` in a credential parse back). */
function quote(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
