/**
 * Port of Proton's abstract_server.py: a service written as a subclass of the `Server` of
 * proton_server.ts, which does the messaging; the subclass only says what a request is answered with
 * (its body in upper case) and prints `Request from: <reply_to>` per request. Runs until interrupted.
 *
 * Python's has no options (it uses `localhost:5672` and `examples`); this one also takes
 * `-a/--address` (host:port/node) with that default.
 */
import { type Encodable, Url } from '../src/index.js';
import { parseOptions, str } from './options.js';
import { Server } from './proton_server.js';

class Application extends Server {
  override onRequest(request: Encodable, replyTo: string | undefined): void {
    const response = typeof request === 'string' ? request.toUpperCase() : request;
    this.send(response, replyTo);
    console.log(`Request from: ${replyTo ?? 'None'}`);
  }
}

const opts = parseOptions({
  options: [
    {
      name: 'address',
      short: '-a',
      long: '--address',
      default: 'localhost:5672/examples',
      help: 'address from which requests are received (default %default)',
    },
  ],
});
const url = new Url(str(opts, 'address'));
await new Application(`${url.host ?? 'localhost'}:${url.port ?? 5672}`, url.path ?? 'examples').run();
