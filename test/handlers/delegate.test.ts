/**
 * raise: a high-level callback goes to the delegate's own method as a new event of its type (same
 * context, container, message and transaction), else to its onUnhandled, never to its children.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Event } from '../../src/container/event.js';
import { raise } from '../../src/handlers/delegate.js';
import { Handler } from '../../src/handlers/handler.js';
import { Message } from '../../src/message/message.js';
import { CONTAINER } from './loop.js';

describe('raise', () => {
  it("calls the delegate's method with a new event of the callback's type", () => {
    const cause = new Event('delivery', { some: 'context' }, CONTAINER);
    cause.transaction = { id: 1 };
    const got: Event[] = [];
    const delegate = {
      onMessage(e: Event) {
        got.push(e);
      },
    };
    const m = new Message({ body: 'x' });
    const e = raise(delegate, 'message', cause, m);
    assert.deepEqual(got, [e]);
    assert.notEqual(e, cause);
    assert.equal(e.type, 'message');
    assert.equal(e.context, cause.context);
    assert.equal(e.container, CONTAINER);
    assert.equal(e.message, m);
    assert.deepEqual(e.transaction, { id: 1 });
  });

  it("keeps the cause's message when none is given, and `this` is the delegate", () => {
    const cause = new Event('delivery', undefined, CONTAINER);
    cause.message = new Message({ body: 'y' });
    let self: unknown;
    const delegate = {
      onSettled(this: unknown, e: Event) {
        self = this;
        assert.equal(e.message?.body, 'y');
      },
    };
    raise(delegate, 'settled', cause);
    assert.equal(self, delegate);
  });

  it('goes to onUnhandled with the method name when the delegate has no method', () => {
    const calls: [string, string][] = [];
    const delegate = {
      onUnhandled(name: string, e: Event) {
        calls.push([name, e.type]);
      },
    };
    raise(delegate, 'link_opened', new Event('link_remote_open', undefined, CONTAINER));
    assert.deepEqual(calls, [['onLinkOpened', 'link_opened']]);
  });

  it("never reaches the delegate's children", () => {
    const childSaw: string[] = [];
    const child = {
      onMessage: () => childSaw.push('onMessage'),
      onUnhandled: (n: string) => childSaw.push(n),
    };
    const parent = new Handler().add(child);
    raise(parent, 'message', new Event('delivery', undefined, CONTAINER));
    assert.deepEqual(childSaw, []);
  });

  it('does nothing for a delegate with neither; lets exceptions through', () => {
    assert.doesNotThrow(() => raise({}, 'message', new Event('delivery', undefined, CONTAINER)));
    const bad = {
      onSendable() {
        throw new RangeError('from the app');
      },
    };
    assert.throws(() => raise(bad, 'sendable', new Event('link_flow', undefined, CONTAINER)), RangeError);
  });
});
