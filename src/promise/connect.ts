/**
 * `connect()`: the entry point of the promise API. It opens a connection on a container of its own and
 * resolves once the peer has opened it too.
 */
import type { Url } from '../container/url.js';
import { PromiseConnection, type PromiseConnectOptions } from './connection.js';

/**
 * Connects to `url` (`[amqp[s]://][user:password@]host[:port]`) and resolves with the connection once
 * the peer's open has come; rejects with `ConnectionClosed` when it cannot connect (without reconnect),
 * `Timeout` or `OperationAborted`, having stopped everything it started. Options are those of
 * `Container.connect`, plus `signal` and `timeout` (the default of every later call). As Proton's
 * BlockingConnection, a single URL without `reconnect` does not reconnect.
 */
export function connect(url?: string | Url, options: PromiseConnectOptions = {}): Promise<PromiseConnection> {
  return new PromiseConnection(url, options).open(options);
}
