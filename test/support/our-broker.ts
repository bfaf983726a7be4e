/**
 * Our embedded broker for the example tests: started in `before` on 127.0.0.1, port 0, in this process;
 * in `after`, every example still running is killed and the broker stopped.
 */
import { after, before } from 'node:test';
import { Broker } from '../../src/broker/index.js';
import { Container } from '../../src/index.js';
import { killAll } from './examples-runner.js';

/** The broker started by {@link useOurBroker}, and queue helpers over it (valid once `before` ran). */
export interface OurBroker {
  readonly broker: Broker;
  /** `127.0.0.1:PORT` where it listens. */
  readonly hostPort: string;
  /** A fresh queue name (without host and port) for one test. */
  fresh(): string;
  /** The address (`host:port/name`) of the queue `name`. */
  address(name: string): string;
  /** How many messages wait on a queue of the broker. */
  depth(name: string): number;
  /** How many receivers a queue of the broker has. */
  consumers(name: string): number;
}

/** Registers the `before` and `after` hooks running our broker; queue names are `${prefix}-N`. */
export function useOurBroker(prefix: string): OurBroker {
  let broker: Broker | undefined;
  let container: Container | undefined;
  let running: Promise<void> | undefined;
  let hostPort = '';
  let queues = 0;
  const started = (): Broker => {
    if (broker === undefined) throw new Error('our broker is not started yet');
    return broker;
  };

  before(async () => {
    broker = new Broker();
    container = new Container(broker, { containerId: 'our-broker' });
    const acceptor = await container.listen('127.0.0.1:0');
    running = container.run();
    hostPort = `127.0.0.1:${acceptor.port}`;
  });

  after(async () => {
    killAll();
    container?.stop();
    await running?.catch(() => {});
  });

  return {
    get broker() {
      return started();
    },
    get hostPort() {
      return hostPort;
    },
    fresh: () => `${prefix}-${++queues}`,
    address: (name) => `${hostPort}/${name}`,
    depth: (name) => started().nodes.get(name)?.messages.length ?? 0,
    consumers: (name) => started().nodes.get(name)?.consumers.length ?? 0,
  };
}
