/**
 * The engine targets, each a fresh engine per input fed through `drive` (engine-check.ts):
 *
 * - `frame`: a server that has read a valid AMQP header and open, fed frames: the frame parser (size,
 *   data offset, type, channel, cut anywhere) and the performative dispatch behind it.
 * - `sasl-server` and `sasl-client`: the SASL layer, fed the SASL part of recorded exchanges (ANONYMOUS,
 *   PLAIN, SCRAM-SHA-256) and the AMQP header after it.
 * - `transport-server` and `transport-client`: the engine as a whole, fed whole recorded exchanges; the
 *   server takes SASL or plain AMQP (SASL optional), the client has a sender and a receiver open.
 */
import { encodeComposite, Open } from '../../src/codec/index.js';
import type { ClientSaslLayerOptions } from '../../src/engine/index.js';
import { openClientSide, PLAIN_PASSWORD, PLAIN_USER, SERVER_SASL } from '../fixtures/traffic/record.js';
import { type PairOptions, pair, type Side } from '../support/pair.js';
import { hexSeeds, traffic } from './corpus.js';
import { drive, respond } from './engine-check.js';
import { FuzzFailure, type FuzzTarget } from './target.js';

const AMQP_HEADER = Buffer.from('414d515000010000', 'hex');
const OPEN = (() => {
  const body = encodeComposite(Object.assign(new Open(), { containerId: 'fuzzer' }));
  const h = Buffer.from([0, 0, 0, 0, 2, 0, 0, 0]);
  h.writeUInt32BE(8 + body.length, 0);
  return Buffer.concat([h, body]);
})();

/** The units of a stream up to and including the AMQP header that follows its SASL frames. */
function saslPart(units: Buffer[]): Buffer[] {
  const amqpAt = units.findIndex((u, i) => i > 0 && u.equals(AMQP_HEADER));
  return amqpAt < 0 ? units : units.slice(0, amqpAt + 1);
}

/** Frame bytes that make good insertions: frame headers of each type, and performative descriptors. */
const FRAME_DICTIONARY = [
  '0000000802000000',
  '0000000801000000',
  '0000000c03000000',
  '00000008020000ff',
  '005310',
  '005311',
  '005312',
  '005313',
  '005314',
  '005315',
  '005316',
  '005317',
  '005318',
  '005340',
  '005341',
  '005342',
  '005343',
  '005344',
  '005323',
  '005324',
  '005325',
  '005326',
  '005327',
  '414d515000010000',
  '414d515003010000',
].map((h) => Buffer.from(h, 'hex'));

function engineTarget(name: string, about: string, seeds: () => Buffer[][], make: () => Side): FuzzTarget {
  return {
    name,
    about,
    dictionary: FRAME_DICTIONARY,
    seeds: () => [...seeds(), ...hexSeeds(name)],
    execute(units, chunking, eof) {
      const side = make();
      drive(side, Buffer.concat(units), chunking, eof);
      // Whatever comes after a failure is ignored, and never throws.
      if (side.transport.tailClosed) {
        const events = side.events.length;
        side.transport.push(AMQP_HEADER);
        respond(side);
        if (side.events.length !== events)
          throw new FuzzFailure('state', 'events after the input side closed');
      }
    },
  };
}

function server(options: PairOptions = {}): Side {
  return pair(options).server;
}

export const frameTarget = engineTarget(
  'frame',
  'frames (size, data offset, type, channel, cut anywhere) into a server past its open',
  () => [traffic('amqp.client').slice(2), traffic('sasl-plain.client').slice(-6)],
  () => {
    const side = server();
    side.transport.push(Buffer.concat([AMQP_HEADER, OPEN]));
    respond(side);
    side.transport.takeOutput();
    if (side.transport.condition !== undefined)
      throw new Error(`the frame target's open failed: ${side.transport.condition}`);
    return side;
  },
);

export const saslServerTarget = engineTarget(
  'sasl-server',
  'the SASL layer of a server (SCRAM-SHA-256, PLAIN, ANONYMOUS)',
  () => ['sasl-plain.client', 'sasl-scram.client', 'sasl-anonymous.client'].map((n) => saslPart(traffic(n))),
  () => server({ serverSasl: SERVER_SASL }),
);

/** The SASL client takes whichever mechanism the server offers that it can do. */
const ANY_MECH: ClientSaslLayerOptions = {
  user: PLAIN_USER,
  password: PLAIN_PASSWORD,
  allowInsecureMechs: true,
};

export const saslClientTarget = engineTarget(
  'sasl-client',
  'the SASL layer of a client (it picks SCRAM, PLAIN or ANONYMOUS from what the server offers)',
  () => ['sasl-plain.server', 'sasl-scram.server', 'sasl-anonymous.server'].map((n) => saslPart(traffic(n))),
  () => {
    const side = pair({ clientSasl: ANY_MECH }).client;
    side.connection.open();
    return side;
  },
);

export const transportServerTarget = engineTarget(
  'transport-server',
  'the whole engine as a server (SASL optional), fed whole client exchanges',
  () => ['amqp.client', 'sasl-plain.client', 'sasl-anonymous.client', 'sasl-scram.client'].map(traffic),
  () => server({ serverSasl: { ...SERVER_SASL, optional: true } }),
);

export const transportClientTarget = engineTarget(
  'transport-client',
  'the whole engine as a client with a sender and a receiver, fed whole server exchanges',
  () => [traffic('amqp.server'), traffic('sasl-plain.server').slice(-12)],
  () => {
    const side = pair().client;
    openClientSide(side);
    return side;
  },
);
