/**
 * CODEC with rhea's message.encode/decode, the same message and loop as bench/codec.ts, so the two are
 * measured side by side in one sitting. Prints the same JSON line.
 */
import { createRequire } from 'node:module';
import { measureCodec, TYPICAL } from './codec-loop.js';

interface RheaMessage {
  body: unknown;
  application_properties: Record<string, unknown>;
}
const require = createRequire(import.meta.url);
const rhea = require('rhea') as {
  message: { encode(m: object): Buffer; decode(b: Buffer): RheaMessage };
};

const m = {
  message_id: TYPICAL.id,
  to: TYPICAL.address,
  subject: TYPICAL.subject,
  reply_to: TYPICAL.replyTo,
  correlation_id: TYPICAL.correlationId,
  content_type: TYPICAL.contentType,
  application_properties: { ...TYPICAL.properties },
  body: TYPICAL.body,
};
const bytes = rhea.message.encode(m);
const check = rhea.message.decode(bytes);
if (check.body !== TYPICAL.body || check.application_properties['k-long'] !== 1700000000000) {
  throw new Error('round trip mismatch');
}
const enc = () => rhea.message.encode(m).length;
const dec = () => (rhea.message.decode(bytes).body as string).length;
measureCodec(bytes.length, enc, dec);
