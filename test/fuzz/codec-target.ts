/**
 * The codec target: bytes to `decode`, `decodeAll`, `decodeComposite` and `decodeMessage`. Each may
 * only throw a `DecodeError`, and not one that wraps some other exception (the decoder's last resort,
 * which would hide a bug; a stack overflow is the one wrapped error allowed). What decodes must be
 * lossless: `encode` takes it back to bytes that decode to an equal value.
 */
import { decodeComposite, encodeComposite } from '../../src/codec/composites.js';
import { amqpEquals, decode, decodeAll, encode } from '../../src/codec/index.js';
import type { AmqpValue } from '../../src/codec/types.js';
import { DecodeError, ProtonError } from '../../src/errors.js';
import { decodeMessage, encodeMessage } from '../../src/message/index.js';
import { hexSeeds, traffic } from './corpus.js';
import { allowOnly, describeError, FuzzFailure, type FuzzTarget, timed } from './target.js';

const TRAFFIC = ['amqp.client', 'amqp.server', 'sasl-scram.client', 'sasl-plain.server'];

/** A decode error that wraps something else is a bug, unless it is the stack giving out. */
function checkDecodeError(e: unknown, what: string): void {
  allowOnly(e, what, DecodeError);
  const cause = (e as DecodeError).cause;
  if (cause !== undefined && !(cause instanceof RangeError)) {
    throw new FuzzFailure('crash', `${what}: a decode error hides ${describeError(cause)}`, { cause });
  }
}

function roundTrip(v: AmqpValue, what: string): void {
  let again: AmqpValue;
  try {
    again = decode(encode(v as never));
  } catch (e) {
    throw new FuzzFailure('state', `${what}: a decoded value does not encode back (${describeError(e)})`, {
      cause: e,
    });
  }
  if (!amqpEquals(v, again))
    throw new FuzzFailure('state', `${what}: not lossless (encode then decode differs)`);
}

export const codecTarget: FuzzTarget = {
  name: 'codec',
  about: 'decode, decodeAll, decodeComposite, decodeMessage; what decodes must encode back equal',
  dictionary: [0x40, 0x45, 0x53, 0x70, 0x80, 0xa0, 0xa1, 0xa3, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0, 0x00].map((b) =>
    Buffer.from([b]),
  ),
  seeds() {
    // The bodies of real frames: performatives, and the messages their payloads carry.
    const bodies = TRAFFIC.flatMap(traffic)
      .filter((u) => u.length > 8 && u.subarray(0, 4).toString('latin1') !== 'AMQP')
      .map((u) => [u.subarray(u[4]! * 4)]);
    return [...bodies, ...hexSeeds('codec')];
  },
  execute(units) {
    const bytes = Buffer.concat(units);
    let v: AmqpValue | undefined;
    try {
      v = timed('decode', () => decode(bytes));
    } catch (e) {
      checkDecodeError(e, 'decode');
    }
    if (v !== undefined) roundTrip(v, 'decode');
    try {
      for (const each of timed('decodeAll', () => decodeAll(bytes))) roundTrip(each, 'decodeAll');
    } catch (e) {
      checkDecodeError(e, 'decodeAll');
    }
    let composite: unknown;
    try {
      composite = timed('decodeComposite', () => decodeComposite(bytes));
    } catch (e) {
      checkDecodeError(e, 'decodeComposite');
    }
    if (composite !== null && typeof composite === 'object') {
      try {
        encodeComposite(composite);
      } catch (e) {
        // A composite may decode with a field of the wrong type (the decoder is lenient): only typed.
        allowOnly(e, 'encodeComposite of a decoded composite', ProtonError);
      }
    }
    let message: ReturnType<typeof decodeMessage> | undefined;
    try {
      message = timed('decodeMessage', () => decodeMessage(bytes));
    } catch (e) {
      checkDecodeError(e, 'decodeMessage');
    }
    if (message !== undefined) {
      try {
        // Reading every field (sections decode on first access) must not fail either.
        void [message.body, message.properties, message.annotations, message.id, message.durable];
        encodeMessage(message);
      } catch (e) {
        allowOnly(e, 'a decoded message', ProtonError);
      }
    }
  },
};
