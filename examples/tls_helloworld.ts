/**
 * helloworld over TLS, logging in with SASL: one connection to `-a` (an `amqps` URL, which may carry
 * `user:password@`) with a receiver and a sender on its node; sends `Hello World!`, prints what comes
 * back and closes. Not one of Proton's examples.
 *
 * `--ca` names the PEM file of the authority that signed the broker's certificate (else Node's trusted
 * authorities are used); the broker's name must match its certificate either way. `--user` and
 * `--password` log in when the URL carries no user name. PLAIN is allowed only because the connection
 * is encrypted: `allowInsecureMechs` is not set.
 */
import { Container, type Event, Message, MessagingHandler, SSLDomain, Url } from '../src/index.js';
import { containerOf, parseOptions, runContainer, str } from './options.js';

class HelloWorld extends MessagingHandler {
  constructor(
    private readonly url: Url,
    private readonly ca: string,
    private readonly user: string,
    private readonly password: string,
  ) {
    super();
  }

  override onStart(event: Event): void {
    const container = containerOf(event);
    const domain = new SSLDomain(SSLDomain.MODE_CLIENT);
    if (this.ca !== '') domain.setTrustedCaDb(this.ca);
    domain.setPeerAuthentication(SSLDomain.VERIFY_PEER_NAME);
    const conn = container.connect(this.url, {
      sslDomain: domain,
      // The URL's user name and password, when it has them, win over these.
      ...(this.user !== '' && { user: this.user, password: this.password }),
      // A refused certificate or login would only be refused again.
      reconnect: false,
    });
    const node = this.url.path ?? 'examples';
    container.createReceiver(conn, node);
    container.createSender(conn, node);
  }

  override onSendable(event: Event): void {
    event.sender?.send(new Message({ body: 'Hello World!' }));
    event.sender?.close();
  }

  override onMessage(event: Event): void {
    console.log(String(event.message?.body));
    event.connection?.close();
  }

  override onTransportError(event: Event): void {
    // A certificate not trusted, a name that does not match, a refused login: say which, exit 1.
    const c = event.transport?.condition;
    console.error(c === undefined ? 'transport error' : `${c.name}: ${c.description ?? ''}`);
    process.exitCode = 1;
    super.onTransportError(event);
  }
}

const opts = parseOptions({
  options: [
    {
      name: 'address',
      short: '-a',
      long: '--address',
      default: 'amqps://localhost:5671/examples',
      help: 'amqps URL of the node to send to and receive from (default %default)',
    },
    {
      name: 'ca',
      short: '-c',
      long: '--ca',
      default: '',
      help: "PEM file of the authority that signed the broker's certificate (default: Node's)",
    },
    { name: 'user', short: '-u', long: '--user', default: '', help: 'user name to log in as' },
    { name: 'password', short: '-p', long: '--password', default: '', help: 'password of the user' },
  ],
});
await runContainer(
  new Container(
    new HelloWorld(new Url(str(opts, 'address')), str(opts, 'ca'), str(opts, 'user'), str(opts, 'password')),
  ),
);
