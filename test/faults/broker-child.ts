/**
 * The embedded broker in a process of its own, for the SIGSTOP test (test/faults/faults.test.ts):
 * listens on 127.0.0.1, an ephemeral port, and prints the port on stdout. Ends on SIGTERM or SIGKILL.
 */
import { Broker } from '../../src/broker/index.js';
import { Container } from '../../src/index.js';

const container = new Container(new Broker(), { containerId: 'child-broker' });
const acceptor = await container.listen('127.0.0.1:0');
process.stdout.write(`${acceptor.port}\n`);
process.once('SIGTERM', () => container.stop());
await container.run();
