/**
 * Our embedded broker alone in a process, for the broker benchmark: `--listen HOST:PORT`; runs until
 * SIGTERM or SIGINT.
 */
import { Broker } from '../src/broker/index.js';
import { Container } from '../src/index.js';
import { parsePeerArgs } from './peer-args.js';

const o = parsePeerArgs();
const container = new Container(new Broker());
const running = container.run();
await container.listen(`${o.host}:${o.port}`);
const stop = () => container.stop();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
await running;
