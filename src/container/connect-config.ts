/**
 * The connect configuration file, `connect.json`, that Proton and rhea read when a connection is made
 * with no URL: where to find it, and what its keys mean.
 *
 * ```jsonc
 * {
 *   "scheme": "amqps",            // or "amqp"                       default "amqps"
 *   "host": "broker.example.com", //                                 default "localhost"
 *   "port": 5671,                 // a number, "amqp" or "amqps"     default 5671 for amqps, else 5672
 *   "user": "alice",
 *   "password": "secret",         // used only with "user"
 *   "sasl": { "enabled": true, "mechanisms": "SCRAM-SHA-256 PLAIN" },  // or a list of names
 *   "tls": { "ca": "ca.pem", "cert": "client.pem", "key": "client-key.pem", "verify": true }
 * }
 * ```
 *
 * Comments (`//` to the end of the line and `/* ... *\/`) are allowed outside strings. Unknown keys are
 * ignored, as in Proton. Where Proton would take a value of the wrong type as it is (and fail later, or
 * not at all), proton-ts refuses the file with an {@link InvalidOptionError} naming the file and the key.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidOptionError } from '../errors.js';
import { defaultPort, parsePort } from './url.js';

/** The name of the environment variable that points at a connect file. */
export const CONNECT_FILE_ENV = 'MESSAGING_CONNECT_FILE';

/** The system-wide directory of the connect file. */
export const SYSTEM_CONFIG_DIR = '/etc/messaging';

/** The connect configuration, with every default applied. */
export interface ConnectConfig {
  /** `amqps` (TLS) or `amqp`. */
  scheme: 'amqp' | 'amqps';
  /** The host to connect to. */
  host: string;
  /** The port to connect to. */
  port: number;
  /** The user name to authenticate as (the file's `user`). */
  user?: string;
  /** The password; present only when `user` is. */
  password?: string;
  /** SASL settings. */
  sasl: {
    /** Whether to use a SASL layer. */
    enabled: boolean;
    /** The mechanisms the client may use, when the file limits them. */
    mechanisms?: string[];
  };
  /** TLS settings, used when `scheme` is `amqps`. */
  tls: {
    /** The path of the trusted CA certificates. */
    ca?: string;
    /** The path of the client certificate. */
    cert?: string;
    /** The path of the client certificate's private key. */
    key?: string;
    /** Whether to verify the peer's certificate and name. */
    verify: boolean;
  };
}

/**
 * Finds the connect file, or `undefined` when there is none. When `MESSAGING_CONNECT_FILE` is set, it
 * names the one file to use (as in Proton and rhea, nothing else is searched, even when that file does
 * not exist; a relative name is taken from `cwd`); otherwise the first regular file of
 * `<cwd>/connect.json`, `<home>/.config/messaging/connect.json` and `/etc/messaging/connect.json`.
 * @param env the environment to read `MESSAGING_CONNECT_FILE` from
 * @param cwd the directory `./connect.json` is looked up in
 * @param home the home directory
 * @param systemDir the system-wide directory (tests point it elsewhere)
 */
export function findConnectConfig(
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
  home: string = homedir(),
  systemDir: string = SYSTEM_CONFIG_DIR,
): string | undefined {
  const named = env[CONNECT_FILE_ENV];
  const candidates = named
    ? [resolve(cwd, named)]
    : [
        join(cwd, 'connect.json'),
        join(home, '.config', 'messaging', 'connect.json'),
        join(systemDir, 'connect.json'),
      ];
  return candidates.find(isFile);
}

function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

/**
 * Finds the connect file ({@link findConnectConfig}) and reads it ({@link parseConnectConfig}), or gives
 * `undefined` when there is none. The parameters are those of {@link findConnectConfig}.
 * @throws InvalidOptionError when the file cannot be read or is not a valid configuration
 */
export function loadConnectConfig(
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
  home: string = homedir(),
  systemDir: string = SYSTEM_CONFIG_DIR,
): ConnectConfig | undefined {
  const file = findConnectConfig(env, cwd, home, systemDir);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidOptionError(file, `cannot read the connect file: ${(err as Error).message}`);
  }
  return parseConnectConfig(text, file);
}

/**
 * Reads the text of a connect file: JSON with comments, giving the configuration with its defaults.
 * @param file the file's name, for error messages
 * @throws InvalidOptionError naming the file and the key that is wrong (the option is the key's path,
 *   such as `tls.verify`; malformed JSON names the file)
 */
export function parseConnectConfig(text: string, file = 'connect.json'): ConnectConfig {
  let root: unknown;
  try {
    root = JSON.parse(stripJsonComments(text));
  } catch (err) {
    throw new InvalidOptionError(file, `not valid JSON: ${(err as Error).message}`);
  }
  const top = object(file, '', root);
  const scheme = string(file, 'scheme', own(top, 'scheme')) ?? 'amqps';
  if (scheme !== 'amqp' && scheme !== 'amqps') {
    throw invalid(file, 'scheme', `expected "amqp" or "amqps", found ${JSON.stringify(scheme)}`);
  }
  const host = string(file, 'host', own(top, 'host')) || 'localhost';
  const port = readPortKey(file, own(top, 'port')) ?? (defaultPort(scheme) as number);
  const user = string(file, 'user', own(top, 'user')) || undefined;
  const password = string(file, 'password', own(top, 'password'));

  const sasl = object(file, 'sasl', own(top, 'sasl') ?? {});
  const mechanisms = readMechanisms(file, own(sasl, 'mechanisms'));
  const tls = object(file, 'tls', own(top, 'tls') ?? {});

  const config: ConnectConfig = {
    scheme,
    host,
    port,
    sasl: { enabled: boolean(file, 'sasl.enabled', own(sasl, 'enabled')) ?? true },
    tls: { verify: boolean(file, 'tls.verify', own(tls, 'verify')) ?? true },
  };
  if (user !== undefined) {
    config.user = user;
    if (password) config.password = password;
  }
  if (mechanisms !== undefined) config.sasl.mechanisms = mechanisms;
  for (const key of ['ca', 'cert', 'key'] as const) {
    const value = string(file, `tls.${key}`, own(tls, key));
    if (value) config.tls[key] = value;
  }
  return config;
}

/**
 * Removes `//` and `/* *\/` comments from JSON text, leaving strings alone. A comment becomes one space,
 * so that it still separates the tokens around it.
 */
export function stripJsonComments(text: string): string {
  return text.replace(/"(?:\\.|[^\\"])*"|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (match) =>
    match.startsWith('"') ? match : ' ',
  );
}

type JsonObject = Record<string, unknown>;

function invalid(file: string, key: string, message: string): InvalidOptionError {
  return new InvalidOptionError(key, `in ${file}: ${message}`);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function object(file: string, key: string, value: unknown): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    if (key === '') throw new InvalidOptionError(file, `expected a JSON object, found ${typeOf(value)}`);
    throw invalid(file, key, `expected an object, found ${typeOf(value)}`);
  }
  // JSON.parse makes own properties only, `__proto__` included, so reading keys never reaches a prototype.
  return value as JsonObject;
}

function own(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function string(file: string, key: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(file, key, `expected a string, found ${typeOf(value)}`);
  return value;
}

function boolean(file: string, key: string, value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(file, key, `expected true or false, found ${typeOf(value)}`);
  return value;
}

function readPortKey(file: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  let port: number | undefined;
  try {
    port = parsePort(value, 'port');
  } catch {
    port = undefined;
  }
  if (port === undefined || port === 0) {
    throw invalid(
      file,
      'port',
      `expected a port number in 1..65535, "amqp" or "amqps", found ${typeOf(value)}`,
    );
  }
  return port;
}

function readMechanisms(file: string, value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  let names: unknown[];
  if (typeof value === 'string') names = value.split(/\s+/);
  else if (Array.isArray(value)) names = value;
  else {
    throw invalid(
      file,
      'sasl.mechanisms',
      `expected a space-separated string or a list of names, found ${typeOf(value)}`,
    );
  }
  const out: string[] = [];
  for (const name of names) {
    if (typeof name !== 'string') {
      throw invalid(file, 'sasl.mechanisms', `expected mechanism names, found ${typeOf(name)}`);
    }
    if (name !== '') out.push(name);
  }
  return out.length > 0 ? out : undefined;
}
