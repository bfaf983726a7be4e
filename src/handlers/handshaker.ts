/**
 * `Handshaker`: answers the peer's opens and closes, for applications (a broker, a test peer) that take
 * whatever the peer asks for.
 */
import type { Event } from '../container/event.js';
import { type Endpoint, State } from '../engine/endpoint.js';
import type { Link } from '../engine/link.js';
import { Handler } from './handler.js';

/**
 * Opens each connection, session and link the peer opens, when it is not opened here yet; a link first
 * takes the peer's source and target as its own, so it attaches to the node the peer named. Closes each
 * one the peer closes, when it is not closed here yet. Proton: `proton.handlers.Handshaker`.
 */
export class Handshaker extends Handler {
  /**
   * Proton: `on_connection_remote_open`, on the peer's `open`: answers it with ours if this side has not
   * opened the connection.
   */
  onConnectionRemoteOpen(event: Event): void {
    openIfNew(event.connection);
  }

  /**
   * Proton: `on_session_remote_open`, on the peer's `begin`: answers it with ours if this side has not
   * opened the session.
   */
  onSessionRemoteOpen(event: Event): void {
    openIfNew(event.session);
  }

  /**
   * Proton: `on_link_remote_open`, on the peer's `attach`: answers it with ours (its `source` and `target`
   * copied) if this side has not opened the link.
   */
  onLinkRemoteOpen(event: Event): void {
    const link = event.link;
    if (link === undefined || link.localState !== State.LOCAL_UNINIT) return;
    copyTermini(link);
    link.open();
  }

  /**
   * Proton: `on_connection_remote_close`, on the peer's `close`: answers it with ours if this side has not
   * closed the connection.
   */
  onConnectionRemoteClose(event: Event): void {
    closeIfOpen(event.connection);
  }

  /**
   * Proton: `on_session_remote_close`, on the peer's `end`: answers it with ours if this side has not
   * closed the session.
   */
  onSessionRemoteClose(event: Event): void {
    closeIfOpen(event.session);
  }

  /**
   * Proton: `on_link_remote_close`, on the peer's `detach`: answers it with ours if this side has not
   * closed the link.
   */
  onLinkRemoteClose(event: Event): void {
    closeIfOpen(event.link);
  }
}

/**
 * Copies the peer's source and target (those it sent in its `attach`) into the link's own. Proton has it
 * inline in `Handshaker.on_link_remote_open`: `link.source.copy(link.remote_source)`, and so for the target.
 */
export function copyTermini(link: Link): void {
  if (link.remoteSource !== undefined) link.source.copy(link.remoteSource);
  if (link.remoteTarget !== undefined) link.target.copy(link.remoteTarget);
}

function openIfNew(endpoint: (Endpoint & { open(): void }) | undefined): void {
  if (endpoint !== undefined && endpoint.localState === State.LOCAL_UNINIT) endpoint.open();
}

function closeIfOpen(endpoint: (Endpoint & { close(): void }) | undefined): void {
  if (endpoint !== undefined && endpoint.localState !== State.LOCAL_CLOSED) endpoint.close();
}
