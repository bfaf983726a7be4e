/**
 * Url: every row of the verified Proton 0.37 table (proton-api.md §1.1.17), with the password masked as
 * in Proton's `main`, plus overrides, IPv6, percent-coding, masking and bad input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { DEFAULT_PORTS, defaultPort, parsePort, Url } from '../../src/container/url.js';
import { InvalidOptionError } from '../../src/errors.js';

interface Row {
  input: string;
  str: string;
  host: string;
  port: number;
  path: string | undefined;
  scheme?: string;
  username?: string;
  password?: string;
  href?: string;
}

/** The verified rows, `str` as Proton 0.37 printed it but with the password as `***`. */
const TABLE: Row[] = [
  { input: 'localhost', str: 'amqp://localhost:amqp', host: 'localhost', port: 5672, path: undefined },
  { input: 'localhost:1234', str: 'amqp://localhost:1234', host: 'localhost', port: 1234, path: undefined },
  {
    input: 'localhost:5672/examples',
    str: 'amqp://localhost:5672/examples',
    host: 'localhost',
    port: 5672,
    path: 'examples',
  },
  {
    input: 'amqp://localhost/examples',
    str: 'amqp://localhost:amqp/examples',
    host: 'localhost',
    port: 5672,
    path: 'examples',
  },
  {
    input: 'amqps://host',
    str: 'amqps://host:amqps',
    host: 'host',
    port: 5671,
    path: undefined,
    scheme: 'amqps',
  },
  // The scheme stays amqp: the service name only picks the port.
  {
    input: 'host:amqps',
    str: 'amqp://host:amqps',
    host: 'host',
    port: 5671,
    path: undefined,
    scheme: 'amqp',
  },
  {
    input: 'user:pass@host:5673/path',
    str: 'amqp://user:***@host:5673/path',
    href: 'amqp://user:pass@host:5673/path',
    host: 'host',
    port: 5673,
    path: 'path',
    username: 'user',
    password: 'pass',
  },
  {
    input: 'amqp://u%40x:p%2Fw@[::1]:5672/q',
    str: 'amqp://u%40x:***@[::1]:5672/q',
    href: 'amqp://u%40x:p%2Fw@[::1]:5672/q',
    host: '::1',
    port: 5672,
    path: 'q',
    username: 'u@x',
    password: 'p/w',
  },
  { input: '/examples', str: 'amqp://0.0.0.0:amqp/examples', host: '0.0.0.0', port: 5672, path: 'examples' },
  { input: ':5672', str: 'amqp://0.0.0.0:5672', host: '0.0.0.0', port: 5672, path: undefined },
  { input: 'amqp://', str: 'amqp://0.0.0.0:amqp', host: '0.0.0.0', port: 5672, path: undefined },
  { input: '', str: 'amqp://0.0.0.0:amqp', host: '0.0.0.0', port: 5672, path: undefined },
  // A single word is a host, not a path.
  { input: 'examples', str: 'amqp://examples:amqp', host: 'examples', port: 5672, path: undefined },
  {
    input: 'user@host/topic://test',
    str: 'amqp://user@host:amqp/topic://test',
    host: 'host',
    port: 5672,
    path: 'topic://test',
    username: 'user',
  },
];

describe('Url: the verified Proton table', () => {
  for (const row of TABLE) {
    it(`parses '${row.input}'`, () => {
      const url = new Url(row.input);
      assert.equal(url.toString(), row.str);
      assert.equal(url.href, row.href ?? row.str);
      assert.equal(url.host, row.host);
      assert.equal(url.port, row.port);
      assert.equal(url.path, row.path);
      assert.equal(url.scheme, row.scheme ?? 'amqp');
      assert.equal(url.username, row.username);
      assert.equal(url.password, row.password);
      // The unmasked form parses back to the same URL.
      assert.ok(new Url(url.href).equals(url), url.href);
    });
  }

  it("Url('localhost', defaults=False) is '//localhost', scheme and port unset", () => {
    const url = new Url('localhost', { defaults: false });
    assert.equal(url.toString(), '//localhost');
    assert.equal(url.scheme, undefined);
    assert.equal(url.port, undefined);
    assert.equal(url.host, 'localhost');
    assert.equal(url.path, undefined);
  });

  it('Url(defaults=False) has every part unset', () => {
    for (const url of [new Url(undefined, { defaults: false }), new Url('', { defaults: false })]) {
      assert.equal(url.toString(), '');
      assert.equal(url.scheme, undefined);
      assert.equal(url.username, undefined);
      assert.equal(url.password, undefined);
      assert.equal(url.host, undefined);
      assert.equal(url.port, undefined);
      assert.equal(url.path, undefined);
    }
  });

  it("Url(':pass@', defaults=False) has username '' and password 'pass'", () => {
    const url = new Url(':pass@', { defaults: false });
    assert.equal(url.username, '');
    assert.equal(url.password, 'pass');
    assert.equal(url.host, undefined);
    assert.equal(url.toString(), '//:***@');
    assert.equal(url.href, '//:pass@');
  });

  it('Url() applies every default', () => {
    assert.equal(new Url().toString(), 'amqp://0.0.0.0:amqp');
  });
});

describe('Url: parsing details', () => {
  it('lower-cases the scheme and the host, not the path or the credentials', () => {
    const url = new Url('AMQPS://Bob:PW@Broker.Example.COM/My-Queue');
    assert.equal(url.scheme, 'amqps');
    assert.equal(url.host, 'broker.example.com');
    assert.equal(url.username, 'Bob');
    assert.equal(url.password, 'PW');
    assert.equal(url.path, 'My-Queue');
    assert.equal(url.port, 5671);
  });

  it("'host/' has the empty path, 'host' none", () => {
    assert.equal(new Url('host/').path, '');
    assert.equal(new Url('host/').toString(), 'amqp://host:amqp/');
    assert.equal(new Url('amqp://h/').path, '');
    assert.equal(new Url('host').path, undefined);
  });

  it('takes IPv6 literals with and without a port', () => {
    const a = new Url('[::1]');
    assert.equal(a.host, '::1');
    assert.equal(a.port, 5672);
    assert.equal(a.toString(), 'amqp://[::1]:amqp');
    const b = new Url('amqps://[FE80::1]:99/x');
    assert.equal(b.host, 'fe80::1');
    assert.equal(b.port, 99);
    assert.equal(b.toString(), 'amqps://[fe80::1]:99/x');
  });

  it('an empty port is absent', () => {
    assert.equal(new Url('amqp://host:').toString(), 'amqp://host:amqp');
    assert.equal(new Url('host:', { defaults: false }).port, undefined);
  });

  it("'user:@host' has the empty password, which is not printed", () => {
    const url = new Url('user:@host');
    assert.equal(url.password, '');
    assert.equal(url.toString(), 'amqp://user@host:amqp');
  });

  it('keeps port 0 (an ephemeral port for listen)', () => {
    assert.equal(new Url('host:0').port, 0);
    assert.equal(new Url('host', { port: 0 }).port, 0);
    assert.equal(new Url('host', { port: 0 }).toString(), 'amqp://host:0');
  });

  it('takes a ; into the path, with or without a scheme', () => {
    assert.equal(new Url('amqp://host/a;b').path, 'a;b');
    assert.equal(new Url('host/a;b').path, 'a;b');
  });

  it('keeps a query and a fragment out of the path but in the string', () => {
    const url = new Url('amqp://host/p?x=1#f');
    assert.equal(url.path, 'p');
    assert.equal(url.toString(), 'amqp://host:amqp/p?x=1#f');
  });

  it('a scheme-less path after a scheme-like word is a path', () => {
    const url = new Url('a_b://host');
    assert.equal(url.host, '0.0.0.0');
    assert.equal(url.path, 'a_b://host');
    assert.equal(url.toString(), 'amqp://0.0.0.0:amqp/a_b://host');
  });

  it('amqp:///path has no host', () => {
    const url = new Url('amqp:///examples', { defaults: false });
    assert.equal(url.scheme, 'amqp');
    assert.equal(url.host, undefined);
    assert.equal(url.path, 'examples');
    assert.ok(new Url(url.href, { defaults: false }).equals(url));
  });

  it('trims surrounding white space', () => {
    assert.equal(new Url('  host:1 ').toString(), 'amqp://host:1');
  });

  it('decodes UTF-8 credentials and leaves a malformed % sequence alone', () => {
    const url = new Url('amqp://J%C3%BCrgen:100%25%zz@host');
    assert.equal(url.username, 'Jürgen');
    assert.equal(url.password, '100%%zz');
    assert.equal(url.href, 'amqp://J%C3%BCrgen:100%25%25zz@host:amqp');
    assert.equal(new Url(url.href).password, '100%%zz');
  });

  it('encodes / : @ and friends in credentials so that href parses back', () => {
    const url = new Url('host', { username: 'a b@c', password: "p/w:@!'()*" });
    assert.equal(url.href, 'amqp://a%20b%40c:p%2Fw%3A%40%21%27%28%29%2A@host:amqp');
    assert.equal(url.toString(), 'amqp://a%20b%40c:***@host:amqp');
    const back = new Url(url.href);
    assert.equal(back.username, 'a b@c');
    assert.equal(back.password, "p/w:@!'()*");
  });
});

describe('Url: overrides and copies', () => {
  it('options replace the parsed parts', () => {
    const url = new Url('amqp://u:p@h:1/a', {
      scheme: 'AMQPS',
      username: 'v',
      password: 'q',
      host: 'H2',
      port: 'amqps',
      path: '/b',
    });
    assert.equal(url.scheme, 'amqps');
    assert.equal(url.username, 'v');
    assert.equal(url.password, 'q');
    assert.equal(url.host, 'h2');
    assert.equal(url.port, 5671);
    assert.equal(url.path, 'b');
    assert.equal(url.href, 'amqps://v:q@h2:amqps/b');
  });

  it('the scheme option sets the default port', () => {
    assert.equal(new Url('host', { scheme: 'amqps' }).toString(), 'amqps://host:amqps');
  });

  it('an IPv6 host option gets brackets when printed', () => {
    const url = new Url('h', { host: '::1', port: 1, path: 'x' });
    assert.equal(url.host, '::1');
    assert.equal(url.toString(), 'amqp://[::1]:1/x');
    assert.equal(new Url('h', { host: '[::2]' }).host, '::2');
  });

  it('copies another Url, then applies options and defaults', () => {
    const a = new Url('amqps://u:p@h/q?x#y', { defaults: false });
    const b = new Url(a);
    assert.ok(!b.equals(a));
    assert.equal(b.href, 'amqps://u:p@h:amqps/q?x#y');
    const c = new Url(a, { defaults: false });
    assert.ok(c.equals(a));
    assert.equal(c.href, 'amqps://u:p@h/q?x#y');
    assert.ok(new Url(b).equals(b));
    assert.equal(new Url(a, { host: 'other' }).host, 'other');
  });
});

describe('Url: printing never shows the password', () => {
  const url = new Url('amqp://alice:s3cret@host/q');

  it('toString, toJSON and util.inspect mask it', () => {
    assert.equal(String(url), 'amqp://alice:***@host:amqp/q');
    assert.equal(`${url}`, 'amqp://alice:***@host:amqp/q');
    assert.equal(JSON.stringify({ url }), '{"url":"amqp://alice:***@host:amqp/q"}');
    const shown = inspect(url);
    assert.equal(shown, "Url('amqp://alice:***@host:amqp/q')");
    assert.ok(!inspect({ nested: [url] }, { depth: 5 }).includes('s3cret'));
  });

  it('the password is not an own enumerable property', () => {
    assert.ok(!Object.values(url).includes('s3cret'));
    assert.ok(!JSON.stringify({ ...url }).includes('s3cret'));
    assert.equal(url.password, 's3cret');
    assert.ok(url.href.includes('s3cret'));
  });
});

describe('Url.equals', () => {
  it('compares the parts, the port by number', () => {
    assert.ok(new Url('localhost').equals(new Url('localhost:5672')));
    assert.ok(new Url('localhost').equals(new Url('amqp://LOCALHOST:amqp')));
    assert.ok(!new Url('localhost').equals(new Url('localhost:5673')));
    assert.ok(!new Url('localhost').equals(new Url('amqps://localhost:5672')));
    assert.ok(!new Url('h/a').equals(new Url('h/b')));
    assert.ok(!new Url('h').equals(new Url('h/')));
  });

  it('tells passwords apart although they print the same', () => {
    const a = new Url('u:one@h');
    const b = new Url('u:two@h');
    assert.equal(a.toString(), b.toString());
    assert.ok(!a.equals(b));
    assert.ok(a.equals(new Url('u:one@h')));
  });
});

describe('Url: constants and ports', () => {
  it('has the schemes and default ports', () => {
    assert.equal(Url.AMQP, 'amqp');
    assert.equal(Url.AMQPS, 'amqps');
    assert.equal(Url.DEFAULT_HOST, '0.0.0.0');
    assert.deepEqual({ ...DEFAULT_PORTS }, { amqp: 5672, amqps: 5671 });
    assert.equal(defaultPort('amqp'), 5672);
    assert.equal(defaultPort('amqps'), 5671);
    assert.equal(defaultPort('http'), undefined);
    assert.equal(defaultPort('toString'), undefined);
  });

  it('parsePort takes numbers, digit strings and the two service names', () => {
    assert.equal(parsePort(1), 1);
    assert.equal(parsePort('65535'), 65535);
    assert.equal(parsePort('amqp'), 5672);
    assert.equal(parsePort('amqps'), 5671);
  });
});

function throwsOption(fn: () => unknown, option: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidOptionError, String(err));
    assert.equal(err.option, option);
    assert.match(err.message, new RegExp(`'${option}'`));
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('Url: bad input', () => {
  it('a port above 65535 names the port', () => {
    throwsOption(() => new Url('amqp://host:99999'), 'port', /99999/);
  });

  it('a port that is neither a number nor a service name names the port', () => {
    throwsOption(() => new Url('host:http'), 'port', /'http'/);
    throwsOption(() => new Url('host:12ab'), 'port');
    throwsOption(() => new Url('host:-1'), 'port');
    throwsOption(() => new Url('host:1:2'), 'port');
    throwsOption(() => new Url('amqp://::1'), 'port');
    throwsOption(() => new Url('host', { port: 70000 }), 'port');
    throwsOption(() => new Url('host', { port: 1.5 }), 'port');
    throwsOption(() => new Url('host', { port: 'AMQP' }), 'port');
    throwsOption(() => new Url('host', { port: '' }), 'port');
    throwsOption(() => parsePort(Number.NaN, 'listen.port'), 'listen.port');
  });

  it('a scheme without a default port and no port names the port', () => {
    throwsOption(() => new Url('foo://host'), 'port', /scheme 'foo'/);
    assert.equal(new Url('foo://host:1').port, 1);
    assert.equal(new Url('foo://host', { defaults: false }).scheme, 'foo');
  });

  it('a malformed scheme option names the scheme', () => {
    throwsOption(() => new Url('host', { scheme: 'am qp' }), 'scheme');
  });

  it('an unclosed IPv6 literal names the host', () => {
    throwsOption(() => new Url('amqp://[::1/q'), 'host');
    throwsOption(() => new Url('amqp://[::1]x:1'), 'host');
    throwsOption(() => new Url('amqp://::1]:1'), 'host');
  });

  it('control characters name the url', () => {
    throwsOption(() => new Url('host\n:1'), 'url');
    throwsOption(() => new Url('ho\tst'), 'url');
  });

  it('a value that is not a string names the url', () => {
    throwsOption(() => new Url(42 as unknown as string), 'url');
  });
});
