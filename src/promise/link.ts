/**
 * What senders and receivers of the promise API share: opening (resolved on the peer's attach, or
 * failed with `LinkDetached` when the peer refuses it), closing, and the failure of every wait on the
 * link when the peer detaches it or the connection goes.
 */
import type { Event } from '../container/event.js';
import { State } from '../engine/endpoint.js';
import type { Link } from '../engine/link.js';
import { LinkDetached } from '../errors.js';
import type { PromiseConnection } from './connection.js';
import type { LinkEvents } from './connection-handler.js';
import { type Settle, type WaitOptions, withDefaults } from './wait.js';
import { Waits } from './waits.js';

export abstract class PromiseLink implements LinkEvents {
  /** @internal The waits under way on this link (they also fail with the connection). */
  readonly waits: Waits;
  private readonly openWaits = new Set<Settle<void>>();
  private readonly closeWaits = new Set<Settle<void>>();
  private closedBothWays = false;
  /** @internal Set once the application asked to close the link. */
  closeRequested = false;

  protected constructor(
    /** The connection the link belongs to. */
    readonly connection: PromiseConnection,
    /** The engine link. */
    readonly link: Link,
  ) {
    this.waits = new Waits(connection.waits);
    link.context = this;
    connection.links.add(this);
  }

  /** The link's name. */
  get name(): string {
    return this.link.name;
  }

  /** Whether the link is open both ways and usable. */
  get isOpen(): boolean {
    return (
      this.waits.failure === undefined &&
      this.connection.waits.failure === undefined &&
      this.link.localState === State.LOCAL_ACTIVE &&
      this.link.remoteState === State.REMOTE_ACTIVE
    );
  }

  /** How the link is described in errors: `sender <name> to <address>`. */
  protected abstract describe(): string;

  /** Whether the peer attached with the terminus we asked for (none means it refuses the link). */
  protected abstract accepted(): boolean;

  /** @internal Resolves on the peer's attach; when called off, the link is closed. */
  async waitOpen(options: WaitOptions): Promise<void> {
    try {
      await this.waits.wait<void>(`Opening link ${this.name}`, this.defaults(options), (settle) => {
        if (this.isOpen && this.accepted()) settle.resolve();
        else this.openWaits.add(settle);
        return () => this.openWaits.delete(settle);
      });
      // Refused: the peer's attach and detach came in one turn, before this went on.
      const failure = this.waits.failure ?? this.connection.waits.failure;
      if (failure !== undefined) throw failure;
    } catch (e) {
      this.abandon();
      throw e;
    }
  }

  /** Closes the link and resolves once the peer has closed it too. */
  async close(options: WaitOptions = {}): Promise<void> {
    const l = this.link;
    this.closeRequested = true;
    if (l.localState !== State.LOCAL_CLOSED && this.connection.isOpen) l.close();
    if (this.closedBothWays || !this.connection.isOpen) {
      this.connection.links.delete(this);
      return;
    }
    try {
      await this.waits.wait<void>(`Closing link ${this.name}`, this.defaults(options), (settle) => {
        this.closeWaits.add(settle);
        return () => this.closeWaits.delete(settle);
      });
    } catch (e) {
      if (!(e instanceof LinkDetached) && this.connection.isOpen) throw e;
    } finally {
      this.connection.links.delete(this);
    }
  }

  /** The options with the connection's default timeout. */
  protected defaults(options: WaitOptions | undefined): WaitOptions {
    return withDefaults(options, this.connection.timeout);
  }

  /** Closes the link without waiting, and forgets it (an open called off). */
  protected abandon(): void {
    if (this.link.localState !== State.LOCAL_CLOSED && this.connection.isOpen) this.link.close();
    this.connection.links.delete(this);
  }

  // ------------------------------------------------------------------------------------------------
  // LinkEvents

  /** @internal */
  opened(): void {
    // A refusal is an attach without our terminus, then a detach: wait for the detach to say why.
    if (!this.accepted()) return;
    for (const s of [...this.openWaits]) s.resolve();
    this.flowed();
  }

  /** @internal */
  remoteClosed(): void {
    const c = this.link.remoteCondition;
    const why =
      c === undefined ? ' by peer' : ` due to: ${c.name}${c.description ? ` (${c.description})` : ''}`;
    const error = new LinkDetached(`${this.describe()} closed${why}`, {
      ...(c === undefined ? {} : { condition: c.name, info: c.info }),
    });
    this.waits.fail(error);
    this.failed(error);
  }

  /** @internal */
  closed(): void {
    this.closedBothWays = true;
    for (const s of [...this.closeWaits]) s.resolve();
    this.connection.links.delete(this);
    const error = new LinkDetached(`${this.describe()} closed`);
    this.waits.fail(error);
    this.failed(error);
  }

  /** @internal Credit or drain changed. */
  abstract flowed(): void;

  /** @internal The link can do no more (detached, closed, or its connection gone). */
  protected abstract failed(error: Error): void;

  /** @internal The connection failed: the link's waits have been failed with it. */
  connectionFailed(error: Error): void {
    this.failed(error);
  }

  /** @internal The socket was lost and a reconnect follows. */
  disconnected(_event: Event): void {}
}
