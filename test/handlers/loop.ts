/**
 * A tiny event loop for the handler tests: the in-memory engine pair, each side's collector events
 * wrapped as container events and dispatched to that side's handler, then the bytes pumped, until both
 * sides are quiet. Plus a `MessagingHandler` that records every callback it gets.
 */
import { dispatch } from '../../src/container/dispatch.js';
import { Event } from '../../src/container/event.js';
import type { Delivery, Receiver, Sender } from '../../src/engine/index.js';
import { MessagingHandler, type MessagingHandlerOptions } from '../../src/handlers/messaging-handler.js';
import { Message } from '../../src/message/message.js';
import { pair, pump, type Side } from '../support/pair.js';

export const CONTAINER = { containerId: 'test' };

/** A side of the pair with the handler its events go to. */
export interface Peer extends Side {
  handler: unknown;
}

/** A client and a server, each with its handler (which may be swapped before running). */
export function peers(client: unknown, server: unknown): { client: Peer; server: Peer } {
  const p = pair();
  return {
    client: Object.assign(p.client, { handler: client }),
    server: Object.assign(p.server, { handler: server }),
  };
}

/** Dispatches one event to a handler, as the container will. */
export function fire(handler: unknown, type: string, context: unknown): Event {
  const e = new Event(type, context, CONTAINER);
  dispatch(handler, e);
  return e;
}

/** Dispatches every queued event of a side; returns how many. */
export function dispatchAll(p: Peer): number {
  let n = 0;
  for (let e = p.collector.pop(); e !== undefined; e = p.collector.pop()) {
    p.events.push(e);
    dispatch(p.handler, new Event(e.type, e.context, CONTAINER));
    n++;
  }
  return n;
}

/**
 * Dispatches and pumps until neither side has an event or a byte left. The events of `hold`, when given,
 * stay queued (not dispatched): that side's application has not looked yet.
 */
export function run(client: Peer, server: Peer, hold?: Peer): void {
  for (let i = 0; i < 10_000; i++) {
    const n = (hold === client ? 0 : dispatchAll(client)) + (hold === server ? 0 : dispatchAll(server));
    const moved = pump(client, server);
    if (n === 0 && moved === 0) return;
  }
  throw new Error('the loop did not go quiet');
}

/** The high-level callbacks of a MessagingHandler, by event type. */
export const CALLBACKS = [
  'start',
  'connection_opening',
  'connection_opened',
  'connection_closing',
  'connection_closed',
  'connection_error',
  'session_opening',
  'session_opened',
  'session_closing',
  'session_closed',
  'session_error',
  'link_opening',
  'link_opened',
  'link_closing',
  'link_closed',
  'link_error',
  'disconnected',
  'transport_error',
  'sendable',
  'message',
  'accepted',
  'rejected',
  'released',
  'settled',
  'aborted',
] as const;

export type Callback = (typeof CALLBACKS)[number];

function camel(type: string): string {
  return `on${type
    .split('_')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('')}`;
}

/**
 * A MessagingHandler that records each callback as `type` (plus a note from `describe`), then runs the
 * hook given for it, then the default. `onUnhandled` records `unhandled:<method>` when `unhandled` is set.
 */
export class Recorder extends MessagingHandler {
  readonly log: string[] = [];
  readonly hooks: Partial<Record<Callback, (e: Event, h: Recorder) => void>> = {};
  readonly messages: Message[] = [];
  recordUnhandled = false;

  constructor(options?: MessagingHandlerOptions) {
    super(options);
    for (const type of CALLBACKS) {
      const name = camel(type);
      const base = (MessagingHandler.prototype as unknown as Record<string, (e: Event) => void>)[name]!;
      (this as unknown as Record<string, (e: Event) => void>)[name] = (e: Event) => {
        this.log.push(type === 'message' ? `message:${String(e.message?.body)}` : type);
        if (type === 'message' && e.message !== undefined) this.messages.push(e.message);
        this.hooks[type]?.(e, this);
        base.call(this, e);
      };
    }
  }

  override onUnhandled(name: string, _event: Event): void {
    if (this.recordUnhandled) this.log.push(`unhandled:${name}`);
  }

  /** The callbacks recorded, without those in `skip`. */
  seen(...skip: string[]): string[] {
    return this.log.filter((x) => !skip.includes(x));
  }
}

/** Sends a message with a string body on `snd`; returns the delivery. */
export function send(snd: Sender, body: string, tag?: string): Delivery {
  const d = snd.delivery(tag);
  snd.send(new Message({ body }).encode());
  snd.advance();
  return d;
}

/** The link on a side's connection named `name`. */
export function linkNamed<L extends Sender | Receiver>(p: Side, name: string, sender: boolean): L {
  const l = p.connection.links.find((x) => x.name === name && x.isSender === sender);
  if (l === undefined) throw new Error(`no ${sender ? 'sender' : 'receiver'} '${name}'`);
  return l as L;
}

/**
 * Opens a connection, a session and a client link of the given role named `name` from the client;
 * the server answers through its own handler.
 */
export function openLink(client: Peer, server: Peer, name: string, sender: boolean): Sender | Receiver {
  client.connection.open();
  const s = client.connection.session();
  s.open();
  const l = sender ? s.sender(name) : s.receiver(name);
  if (sender) l.target.address = name;
  else l.source.address = name;
  l.open();
  run(client, server);
  return l;
}
