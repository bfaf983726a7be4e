/**
 * Port of Proton's sync_client.py: the client side of request and response with the blocking utilities
 * of the promise API, reading as the Python does with `await` added. Each request goes to the node of
 * `-a` with a dynamic reply queue and a correlation id; `<request> => <response>` is printed for each.
 * `-t` is in seconds, as in Python: a connection or a response that takes longer fails with `Timeout`
 * (the message printed, exit 1).
 */
import { BlockingConnection, Message, SyncRequestResponse, Url } from '../src/index.js';
import { ADDRESS_TO, num, parseOptions, REQUESTS, str } from './options.js';

const opts = parseOptions({
  description: 'Send requests to the supplied address and print responses.',
  options: [
    ADDRESS_TO(),
    {
      name: 'timeout',
      short: '-t',
      long: '--timeout',
      type: 'float',
      default: 5,
      help: 'Give up after this time out (default %default)',
    },
  ],
});

const url = new Url(str(opts, 'address'));
const connection = new BlockingConnection(`${url.host ?? 'localhost'}:${url.port ?? 5672}`, {
  timeout: num(opts, 'timeout') * 1000,
});
const client = new SyncRequestResponse(connection, url.path);
try {
  for (const request of REQUESTS) {
    const response = await client.call(new Message({ body: request }));
    console.log(`${request} => ${String(response.body)}`);
  }
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
} finally {
  await client.connection.close().catch(() => {});
}
