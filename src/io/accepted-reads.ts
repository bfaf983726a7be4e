/**
 * Accepted sockets that read into memory of our own, as connected ones do with Node's `onread`.
 *
 * Node offers `onread` to the sockets it connects and (through the undocumented `handle` option of
 * `new net.Socket({ handle, onread })`) to a socket made around an existing handle, but `net.Server`
 * makes its sockets itself, without it: each read of an accepted socket lands in 64 KiB that Node
 * allocates and passes through a stream as a `'data'` event. For a server receiving large messages that
 * allocation is much of its work, and reading large transfers straight into the messages' memory (see
 * Transport.readTarget) needs `onread` (see `bench/RESULTS.md`, the 1 MiB receiver). So a plain server is
 * made with `pauseOnConnect` (nothing is read before we decide) and each socket it accepts is re-made
 * around the same handle with `onread`.
 *
 * The handle, and the server's count of its connections, are Node's internals (`_handle`, `_server`;
 * tested on Node 20), not promised: the takeover is attempted only when they look as expected, and
 * otherwise the accepted socket is simply resumed and read through `'data'` as before.
 */
import net from 'node:net';

/** The parts of Node's socket internals the takeover relies on. */
interface SocketInternals {
  _handle?: { useUserBuffer?: unknown; readStart?: unknown; reading?: unknown } | null;
  _server?: unknown;
  server?: unknown;
}

/**
 * Re-makes `socket`, just accepted by a server made with `pauseOnConnect` and not yet read from, as a
 * socket reading through `onread`; the original is left inert (no handle, no server) and must not be
 * used again. Returns `undefined`, with `socket` resumed to read through `'data'`, when Node's internals
 * are not as expected.
 */
export function readAcceptedWith(socket: net.Socket, onread: net.OnReadOpts): net.Socket | undefined {
  const old = socket as unknown as SocketInternals;
  const handle = old._handle;
  if (
    handle == null ||
    typeof handle.useUserBuffer !== 'function' ||
    typeof handle.readStart !== 'function' ||
    handle.reading !== false ||
    old._server === undefined
  ) {
    socket.resume();
    return undefined;
  }
  const server = old._server;
  // The original gives up the handle and its place in the server's count before the new one takes them,
  // so that nothing it might still do (a stray destroy) closes the handle or counts the connection twice.
  old._handle = null;
  old._server = null;
  const fresh = new net.Socket({ handle, onread } as net.SocketConstructorOpts);
  const internals = fresh as unknown as SocketInternals;
  internals._server = server;
  internals.server = server;
  return fresh;
}
