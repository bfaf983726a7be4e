/**
 * EventInjector and ApplicationEvent: events of the application's own triggered from a timer, a promise,
 * a handler or a worker thread, dispatched on the container's loop in order; close() lets run() end
 * once the queued events are delivered. After Proton's EventInjector (1.2.7 of the API reference).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { Container } from '../../src/container/container.js';
import type { Event } from '../../src/container/event.js';
import { ApplicationEvent, EventInjector } from '../../src/container/event-injector.js';
import { Connection } from '../../src/engine/connection.js';
import { ProtonError } from '../../src/errors.js';

/** Runs `container`, failing after `ms` if run() has not ended. */
async function runWithin(container: Container, ms = 3000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      container.stop();
      reject(new Error(`run() did not end within ${ms} ms`));
    }, ms);
  });
  try {
    await Promise.race([container.run(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('ApplicationEvent', () => {
  it('is its own context, with its subject and the objects given', () => {
    const connection = new Connection();
    const e = new ApplicationEvent('hello', { connection, subject: { n: 1 } });
    assert.equal(e.type, 'hello');
    assert.equal(e.context, e);
    assert.equal(e.connection, connection);
    assert.equal(e.session, undefined);
    assert.equal(e.link, undefined);
    assert.equal(e.delivery, undefined);
    assert.deepEqual(e.subject, { n: 1 });
  });

  it('takes the link, session and connection of a delivery', () => {
    const connection = new Connection();
    const session = connection.session();
    const sender = session.sender('s');
    const delivery = sender.delivery('t1');
    const e = new ApplicationEvent('tick', { delivery, connection: new Connection() });
    assert.equal(e.delivery, delivery);
    assert.equal(e.link, sender);
    assert.equal(e.sender, sender);
    assert.equal(e.receiver, undefined);
    assert.equal(e.session, session);
    assert.equal(e.connection, connection);
  });

  it('takes the session and connection of a link', () => {
    const connection = new Connection();
    const session = connection.session();
    const receiver = session.receiver('r');
    const e = new ApplicationEvent('tick', { link: receiver });
    assert.equal(e.receiver, receiver);
    assert.equal(e.session, session);
    assert.equal(e.connection, connection);
  });

  it('prints as type(objects present)', () => {
    assert.equal(new ApplicationEvent('hello').toString(), 'hello()');
    assert.equal(new ApplicationEvent('hello', { subject: 'x' }).toString(), 'hello(x)');
  });

  it('needs a type name', () => {
    assert.throws(() => new ApplicationEvent(''), ProtonError);
  });
});

describe('EventInjector', () => {
  it('dispatches an event triggered from a timer to onHello, with its subject', async () => {
    const injector = new EventInjector();
    const seen: unknown[] = [];
    const container = new Container({
      onReactorInit: (e: Event) => {
        assert.equal(e.container, container);
        setTimeout(() => injector.trigger(new ApplicationEvent('hello', { subject: 'from a timer' })), 10);
      },
      onHello: (e: ApplicationEvent) => {
        seen.push(e.subject, e.container === container, e.context === e);
        injector.close();
      },
    });
    container.selectable(injector);
    await runWithin(container);
    assert.deepEqual(seen, ['from a timer', true, true]);
  });

  it('dispatches an event triggered from a resolved promise', async () => {
    const injector = new EventInjector();
    const seen: string[] = [];
    const container = new Container({
      onReactorInit: () => {
        Promise.resolve('resolved').then((v) =>
          injector.trigger(new ApplicationEvent('result', { subject: v })),
        );
      },
      onResult: (e: ApplicationEvent) => {
        seen.push(String(e.subject));
        injector.close();
      },
    });
    injector.attach(container);
    await runWithin(container);
    assert.deepEqual(seen, ['resolved']);
  });

  it('keeps run() going until it is closed', async () => {
    const injector = new EventInjector();
    let ended = false;
    const container = new Container({});
    container.selectable(injector);
    const run = container.run().then(() => {
      ended = true;
    });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(ended, false);
    injector.close();
    await run;
    assert.equal(ended, true);
  });

  it('delivers the events queued before close(), in order, then lets run() end', async () => {
    const injector = new EventInjector();
    const seen: unknown[] = [];
    const container = new Container({
      onReactorInit: () => {
        for (let i = 0; i < 5; i++) injector.trigger(new ApplicationEvent('item', { subject: i }));
        injector.close();
        assert.throws(() => injector.trigger(new ApplicationEvent('late')), /closed/);
      },
      onItem: (e: ApplicationEvent) => seen.push(e.subject),
    });
    container.selectable(injector);
    await runWithin(container);
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    assert.equal(injector.isClosed, true);
  });

  it('dispatches after the triggering callback returns, never inside it', async () => {
    const injector = new EventInjector();
    const order: string[] = [];
    const container = new Container({
      onReactorInit: () => {
        injector.trigger(new ApplicationEvent('first'));
        order.push('init returns');
      },
      onFirst: () => {
        order.push('first');
        injector.trigger(new ApplicationEvent('second'));
        order.push('onFirst returns');
      },
      onSecond: () => {
        order.push('second');
        injector.close();
      },
    });
    container.selectable(injector);
    await runWithin(container);
    assert.deepEqual(order, ['init returns', 'first', 'onFirst returns', 'second']);
  });

  it('holds events triggered before the container runs until it has started', async () => {
    const injector = new EventInjector();
    const order: string[] = [];
    const container = new Container({
      onReactorInit: () => order.push('start'),
      onEarly: (e: ApplicationEvent) => {
        order.push(`early ${String(e.subject)}`);
        injector.close();
      },
    });
    injector.trigger(new ApplicationEvent('early', { subject: 1 }));
    container.selectable(injector);
    await new Promise((r) => setTimeout(r, 15));
    assert.deepEqual(order, []);
    await runWithin(container);
    assert.deepEqual(order, ['start', 'early 1']);
  });

  it('goes to onUnhandled when the handler has no method for it', async () => {
    const injector = new EventInjector();
    const seen: string[] = [];
    const container = new Container({
      onUnhandled: (name: string, e: Event) => {
        if (e instanceof ApplicationEvent) {
          seen.push(name);
          injector.close();
        }
      },
    });
    container.selectable(injector);
    injector.trigger(new ApplicationEvent('batch_done'));
    await runWithin(container);
    assert.deepEqual(seen, ['onBatchDone']);
  });

  it('dispatches an event about a connection with its connection, to the connection handler if any', async () => {
    const injector = new EventInjector();
    const seen: string[] = [];
    const container = new Container({
      onHello: (e: ApplicationEvent) => {
        seen.push(`root ${e.connection === plain} ${String(e.subject)}`);
      },
    });
    // Connections that are never connected: the container only needs them as objects here.
    const plain = new Connection();
    const handled = new Connection();
    handled.handler = {
      onHello: (e: ApplicationEvent) => {
        seen.push(`connection ${e.connection === handled} ${String(e.subject)}`);
        injector.close();
      },
    };
    container.selectable(injector);
    injector.trigger(new ApplicationEvent('hello', { connection: plain, subject: 'a' }));
    injector.trigger(new ApplicationEvent('hello', { connection: handled, subject: 'b' }));
    await runWithin(container);
    assert.deepEqual(seen, ['root true a', 'connection true b']);
  });

  it('rejects run() with what a handler of an application event throws', async () => {
    const injector = new EventInjector();
    const container = new Container({
      onBoom: () => {
        throw new Error('boom');
      },
    });
    container.selectable(injector);
    injector.trigger(new ApplicationEvent('boom'));
    await assert.rejects(runWithin(container), /boom/);
  });

  it('turns what a worker thread posts on its port into events', async () => {
    const injector = new EventInjector();
    const seen: unknown[] = [];
    const port = injector.port();
    assert.equal(injector.port(), port);
    const worker = new Worker(
      `
      const { workerData } = require('node:worker_threads');
      const port = workerData.port;
      port.postMessage({ nope: true });
      for (let i = 0; i < 3; i++) port.postMessage({ type: 'work_done', subject: { i, thread: 'worker' } });
      port.postMessage({ type: 'finished' });
      port.close();
      `,
      { eval: true, workerData: { port }, transferList: [port] },
    );
    const container = new Container({
      onWorkDone: (e: ApplicationEvent) => seen.push(e.subject),
      onFinished: () => injector.close(),
    });
    container.selectable(injector);
    await runWithin(container);
    await new Promise((resolve) => worker.once('exit', resolve));
    assert.deepEqual(seen, [
      { i: 0, thread: 'worker' },
      { i: 1, thread: 'worker' },
      { i: 2, thread: 'worker' },
    ]);
    assert.throws(() => injector.port(), /closed/);
  });

  it('belongs to one container', () => {
    const injector = new EventInjector();
    const a = new Container({});
    const b = new Container({});
    injector.attach(a);
    injector.attach(a);
    assert.throws(() => injector.attach(b), /another container/);
    injector.close();
  });
});
