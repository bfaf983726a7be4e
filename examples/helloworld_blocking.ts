/**
 * Port of Proton's helloworld_blocking.py, with the blocking utilities of the promise API: it reads as
 * the Python does, with `await` added (and the timeout in milliseconds): a receiver and a sender on
 * `examples`, one `Hello World!` sent, received, printed and accepted.
 *
 * Python's has no options (it uses `localhost:5672` and `examples`); this one also takes
 * `-a/--address` (host:port/node) with that default, so that it can be pointed at another broker.
 */
import { BlockingConnection, Message, Url } from '../src/index.js';
import { parseOptions, str } from './options.js';

const opts = parseOptions({
  options: [
    {
      name: 'address',
      short: '-a',
      long: '--address',
      default: 'localhost:5672/examples',
      help: 'address of the node to send to and receive from (default %default)',
    },
  ],
});
const url = new Url(str(opts, 'address'));
const address = url.path ?? 'examples';

const conn = new BlockingConnection(`${url.host ?? 'localhost'}:${url.port ?? 5672}`);
const receiver = await conn.createReceiver(address);
const sender = await conn.createSender(address);
await sender.send(new Message({ body: 'Hello World!' }));
const msg = await receiver.receive(30_000);
console.log(msg.body);
receiver.accept();
await conn.close();
