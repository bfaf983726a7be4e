/**
 * `FlowController`: keeps the credit of every receiving link topped up to a window, so the sender always
 * has room for `window` messages the application has not read yet (the prefetch).
 */
import type { Event } from '../container/event.js';
import { State } from '../engine/endpoint.js';
import type { Receiver } from '../engine/link.js';
import { InvalidOptionError } from '../errors.js';
import { Handler } from './handler.js';

/**
 * Tops up receiver credit on `link_local_open`, `link_remote_open`, `link_flow` and `delivery`, so that
 * the link's credit plus its queued deliveries (arrived and not yet read) make `window`.
 *
 * The wire credit drops when a transfer arrives, where Proton's receiver credit drops only when the
 * application reads past it; counting the queued deliveries in makes the prefetch Proton's: at most
 * `window` messages granted or arrived and unread. The credit a read message frees is granted again on
 * the link's next event; `MessagingHandler` runs this controller after its incoming handler, so that
 * event is the very delivery whose message was just read.
 *
 * Drain: while the application drains a link (`receiver.drainCredit(n)`, until the sender answers), no
 * credit is added to it, since new credit would be drained as well; once the drain is over the window is
 * kept again. Proton 0.37 keeps one count of drained credit per controller, shared by all its links and
 * never reset, so after a single drain on any link it stops giving credit to every link for good; this
 * controller does not copy that.
 */
export class FlowController extends Handler {
  /**
   * The credit kept on each receiving link: the prefetch (Proton: the `FlowController(window)` argument,
   * default 1024; AMQP: `flow.link-credit`).
   */
  readonly window: number;

  constructor(window = 1024) {
    super();
    if (typeof window !== 'number' || !Number.isSafeInteger(window) || window < 0) {
      throw new InvalidOptionError(
        'window',
        `FlowController: must be a whole number >= 0, not ${String(window)}`,
      );
    }
    this.window = window;
  }

  /** Proton: `on_link_local_open` (our `attach`): grants the window's credit to a receiver as it attaches. */
  onLinkLocalOpen(event: Event): void {
    this.topUp(event.receiver);
  }

  /** Proton: `on_link_remote_open`, on the peer's `attach`: tops a receiver's credit up to the window. */
  onLinkRemoteOpen(event: Event): void {
    this.topUp(event.receiver);
  }

  /**
   * Proton: `on_link_flow` (a `flow` frame came, or credit changed here): tops a receiver's credit up to the
   * window (after a drain, say).
   */
  onLinkFlow(event: Event): void {
    this.topUp(event.receiver);
  }

  /**
   * Proton: `on_delivery` (a `transfer` came): replaces the credit the received message used up, keeping
   * the window full.
   */
  onDelivery(event: Event): void {
    this.topUp(event.receiver);
  }

  /** Grants `link` what it lacks of the window, if it is a receiver that can take credit. */
  private topUp(link: Receiver | undefined): void {
    if (link === undefined || this.window === 0) return;
    if (link.localState !== State.LOCAL_ACTIVE || link.remoteState === State.REMOTE_CLOSED) return;
    if (link.connection.localState === State.LOCAL_CLOSED) return;
    if (link.drain) return;
    // The wire credit still out, plus the deliveries arrived and not read yet: Proton's receiver credit.
    const lacking = this.window - link.linkCredit - link.queued;
    if (lacking > 0) link.flow(lacking);
  }
}
