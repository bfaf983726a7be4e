/**
 * The connect.json lookup and parsing (proton-api.md §1.2.3): the search order in temporary
 * directories, comment stripping, every key with its default, and the errors that name file and key.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CONNECT_FILE_ENV,
  type ConnectConfig,
  findConnectConfig,
  loadConnectConfig,
  parseConnectConfig,
  stripJsonComments,
} from '../../src/container/connect-config.js';
import { InvalidOptionError } from '../../src/errors.js';

const DEFAULTS: ConnectConfig = {
  scheme: 'amqps',
  host: 'localhost',
  port: 5671,
  sasl: { enabled: true },
  tls: { verify: true },
};

function throwsOption(fn: () => unknown, option: string, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidOptionError, String(err));
    assert.equal(err.option, option);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

describe('findConnectConfig: the search order', () => {
  let root: string;
  let cwd: string;
  let home: string;
  let system: string;
  let named: string;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'proton-ts-connect-'));
    cwd = join(root, 'cwd');
    home = join(root, 'home');
    system = join(root, 'etc', 'messaging');
    for (const dir of [cwd, join(home, '.config', 'messaging'), system]) mkdirSync(dir, { recursive: true });
    named = join(root, 'named.json');
  });

  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const cwdFile = () => join(cwd, 'connect.json');
  const homeFile = () => join(home, '.config', 'messaging', 'connect.json');
  const systemFile = () => join(system, 'connect.json');

  it('finds nothing in empty directories', () => {
    assert.equal(findConnectConfig({}, cwd, home, system), undefined);
    assert.equal(loadConnectConfig({}, cwd, home, system), undefined);
  });

  it('/etc/messaging/connect.json comes last', () => {
    writeFileSync(systemFile(), '{"host": "system"}');
    assert.equal(findConnectConfig({}, cwd, home, system), systemFile());
    assert.equal(loadConnectConfig({}, cwd, home, system)?.host, 'system');
  });

  it('~/.config/messaging/connect.json comes before it', () => {
    writeFileSync(homeFile(), '{"host": "home"}');
    assert.equal(findConnectConfig({}, cwd, home, system), homeFile());
    assert.equal(loadConnectConfig({}, cwd, home, system)?.host, 'home');
  });

  it('./connect.json comes before that', () => {
    writeFileSync(cwdFile(), '{"host": "cwd"}');
    assert.equal(findConnectConfig({}, cwd, home, system), cwdFile());
    assert.equal(loadConnectConfig({}, cwd, home, system)?.host, 'cwd');
  });

  it('MESSAGING_CONNECT_FILE comes first', () => {
    writeFileSync(named, '{"host": "named"}');
    assert.equal(findConnectConfig({ [CONNECT_FILE_ENV]: named }, cwd, home, system), named);
    assert.equal(loadConnectConfig({ [CONNECT_FILE_ENV]: named }, cwd, home, system)?.host, 'named');
  });

  it('a relative MESSAGING_CONNECT_FILE is taken from cwd', () => {
    assert.equal(findConnectConfig({ [CONNECT_FILE_ENV]: '../named.json' }, cwd, home, system), named);
  });

  it('a MESSAGING_CONNECT_FILE that does not exist stops the search, as in Proton and rhea', () => {
    assert.equal(
      findConnectConfig({ [CONNECT_FILE_ENV]: join(root, 'missing.json') }, cwd, home, system),
      undefined,
    );
  });

  it('an empty MESSAGING_CONNECT_FILE is unset', () => {
    assert.equal(findConnectConfig({ [CONNECT_FILE_ENV]: '' }, cwd, home, system), cwdFile());
  });

  it('a directory named connect.json is skipped', () => {
    rmSync(cwdFile());
    mkdirSync(cwdFile());
    assert.equal(findConnectConfig({}, cwd, home, system), homeFile());
    rmSync(cwdFile(), { recursive: true });
  });

  it('a malformed file found by the search names that file', () => {
    writeFileSync(cwdFile(), '{"host": ');
    throwsOption(() => loadConnectConfig({}, cwd, home, system), cwdFile(), /not valid JSON/);
    writeFileSync(cwdFile(), '{"port": true}');
    throwsOption(() => loadConnectConfig({}, cwd, home, system), 'port', new RegExp(cwdFile()));
  });

  it('uses the real environment, cwd and home by default', () => {
    const found = findConnectConfig({ [CONNECT_FILE_ENV]: named });
    assert.equal(found, named);
  });
});

describe('stripJsonComments', () => {
  it('removes line and block comments, each as one space', () => {
    assert.equal(stripJsonComments('{"a":1// x\n}'), '{"a":1 \n}');
    assert.equal(stripJsonComments('{/* a\nb */"a":1}'), '{ "a":1}');
    assert.equal(stripJsonComments('1/**/2'), '1 2');
  });

  it('leaves comment markers inside strings alone, escaped quotes included', () => {
    const text = '{"url": "amqp://h/q", "s": "/* no */", "e": "a\\"//b"} // yes';
    assert.equal(stripJsonComments(text), '{"url": "amqp://h/q", "s": "/* no */", "e": "a\\"//b"}  ');
  });

  it('leaves an unclosed block comment for JSON.parse to refuse', () => {
    throwsOption(() => parseConnectConfig('{} /* open', 'f.json'), 'f.json', /not valid JSON/);
  });
});

describe('parseConnectConfig: keys and defaults', () => {
  it('an empty object gives every default', () => {
    assert.deepEqual(parseConnectConfig('{}'), DEFAULTS);
  });

  it('reads every key', () => {
    const text = `{
      // The broker.
      "scheme": "amqps", "host": "broker.example.com", "port": 5999,
      /* Who we are. */
      "user": "alice", "password": "s3cret",
      "sasl": { "enabled": true, "mechanisms": "SCRAM-SHA-256 PLAIN" },
      "tls": { "ca": "/p/ca.pem", "cert": "/p/c.pem", "key": "/p/k.pem", "verify": false },
      "unknown": [1, 2, 3]
    }`;
    assert.deepEqual(parseConnectConfig(text), {
      scheme: 'amqps',
      host: 'broker.example.com',
      port: 5999,
      user: 'alice',
      password: 's3cret',
      sasl: { enabled: true, mechanisms: ['SCRAM-SHA-256', 'PLAIN'] },
      tls: { ca: '/p/ca.pem', cert: '/p/c.pem', key: '/p/k.pem', verify: false },
    });
  });

  it('scheme amqp defaults the port to 5672, amqps to 5671', () => {
    assert.deepEqual(parseConnectConfig('{"scheme": "amqp"}'), { ...DEFAULTS, scheme: 'amqp', port: 5672 });
    assert.equal(parseConnectConfig('{"scheme": "amqps"}').port, 5671);
  });

  it('port may be a number, a digit string or a service name', () => {
    assert.equal(parseConnectConfig('{"port": 1}').port, 1);
    assert.equal(parseConnectConfig('{"port": "5673"}').port, 5673);
    assert.equal(parseConnectConfig('{"port": "amqp"}').port, 5672);
    assert.equal(parseConnectConfig('{"scheme": "amqp", "port": "amqps"}').port, 5671);
  });

  it('host defaults to localhost, also when empty', () => {
    assert.equal(parseConnectConfig('{"host": "h"}').host, 'h');
    assert.equal(parseConnectConfig('{"host": ""}').host, 'localhost');
  });

  it('password is used only with user', () => {
    assert.deepEqual(parseConnectConfig('{"password": "p"}'), DEFAULTS);
    assert.deepEqual(parseConnectConfig('{"user": "", "password": "p"}'), DEFAULTS);
    assert.deepEqual(parseConnectConfig('{"user": "u"}'), { ...DEFAULTS, user: 'u' });
    assert.deepEqual(parseConnectConfig('{"user": "u", "password": "p"}'), {
      ...DEFAULTS,
      user: 'u',
      password: 'p',
    });
  });

  it('sasl.enabled defaults to true and may be false', () => {
    assert.equal(parseConnectConfig('{"sasl": {}}').sasl.enabled, true);
    assert.equal(parseConnectConfig('{"sasl": {"enabled": false}}').sasl.enabled, false);
    assert.equal(parseConnectConfig('{"sasl": null}').sasl.enabled, true);
  });

  it('sasl.mechanisms is a space-separated string or a list', () => {
    assert.deepEqual(parseConnectConfig('{"sasl": {"mechanisms": " PLAIN  ANONYMOUS "}}').sasl.mechanisms, [
      'PLAIN',
      'ANONYMOUS',
    ]);
    assert.deepEqual(parseConnectConfig('{"sasl": {"mechanisms": ["EXTERNAL"]}}').sasl.mechanisms, [
      'EXTERNAL',
    ]);
    assert.equal(parseConnectConfig('{"sasl": {"mechanisms": ""}}').sasl.mechanisms, undefined);
    assert.equal(parseConnectConfig('{"sasl": {"mechanisms": []}}').sasl.mechanisms, undefined);
  });

  it('tls.verify defaults to true; ca, cert and key are taken alone too', () => {
    assert.deepEqual(parseConnectConfig('{"tls": {}}').tls, { verify: true });
    assert.deepEqual(parseConnectConfig('{"tls": {"ca": "ca.pem"}}').tls, { ca: 'ca.pem', verify: true });
    assert.deepEqual(parseConnectConfig('{"tls": {"cert": "c", "verify": true}}').tls, {
      cert: 'c',
      verify: true,
    });
    assert.deepEqual(parseConnectConfig('{"tls": {"key": "k"}}').tls, { key: 'k', verify: true });
  });

  it('null is taken as absent', () => {
    assert.deepEqual(
      parseConnectConfig(
        '{"scheme": null, "host": null, "port": null, "user": null, "tls": {"verify": null}}',
      ),
      DEFAULTS,
    );
  });

  it('never reads keys through the prototype', () => {
    const config = parseConnectConfig('{"__proto__": {"host": "evil", "user": "x"}}');
    assert.deepEqual(config, DEFAULTS);
    assert.equal(({} as Record<string, unknown>).host, undefined);
  });

  it('gives a fresh object each time', () => {
    const a = parseConnectConfig('{}');
    a.sasl.enabled = false;
    assert.equal(parseConnectConfig('{}').sasl.enabled, true);
  });
});

describe('parseConnectConfig: errors name the file and the key', () => {
  const FILE = '/some/where/connect.json';

  it('malformed JSON names the file', () => {
    throwsOption(() => parseConnectConfig('{"host": "h",}', FILE), FILE, /not valid JSON/);
    throwsOption(() => parseConnectConfig('', FILE), FILE, /not valid JSON/);
  });

  it('a top level that is not an object names the file', () => {
    throwsOption(() => parseConnectConfig('[1]', FILE), FILE, /expected a JSON object, found an array/);
    throwsOption(() => parseConnectConfig('null', FILE), FILE, /found null/);
  });

  it('the default file name is connect.json', () => {
    throwsOption(() => parseConnectConfig('{'), 'connect.json');
    throwsOption(() => parseConnectConfig('{"host": 1}'), 'host', /in connect\.json/);
  });

  const wrong: [string, string, RegExp][] = [
    ['{"scheme": "http"}', 'scheme', /"amqp" or "amqps", found "http"/],
    ['{"scheme": 1}', 'scheme', /expected a string, found number 1/],
    ['{"host": ["h"]}', 'host', /expected a string, found an array/],
    ['{"port": 99999}', 'port', /found number 99999/],
    ['{"port": 0}', 'port', /1\.\.65535/],
    ['{"port": "http"}', 'port', /found string "http"/],
    ['{"port": true}', 'port', /found boolean true/],
    ['{"user": 7}', 'user', /expected a string/],
    ['{"user": "u", "password": 7}', 'password', /expected a string/],
    ['{"sasl": true}', 'sasl', /expected an object, found boolean true/],
    ['{"sasl": {"enabled": "yes"}}', 'sasl.enabled', /expected true or false, found string "yes"/],
    ['{"sasl": {"mechanisms": 1}}', 'sasl.mechanisms', /space-separated string or a list/],
    ['{"sasl": {"mechanisms": ["PLAIN", 2]}}', 'sasl.mechanisms', /found number 2/],
    ['{"tls": "on"}', 'tls', /expected an object/],
    ['{"tls": {"verify": 0}}', 'tls.verify', /expected true or false/],
    ['{"tls": {"ca": {}}}', 'tls.ca', /expected a string, found an object/],
    ['{"tls": {"cert": false}}', 'tls.cert', /expected a string/],
    ['{"tls": {"key": 1}}', 'tls.key', /expected a string/],
  ];
  for (const [text, key, pattern] of wrong) {
    it(`${text} names ${key}`, () => {
      throwsOption(
        () => parseConnectConfig(text, FILE),
        key,
        new RegExp(`'${key.replace('.', '\\.')}'`),
        /\/some\/where\/connect\.json/,
        pattern,
      );
    });
  }
});
