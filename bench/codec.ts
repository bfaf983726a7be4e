/**
 * CODEC: encode and decode of a typical message with proton-ts (bench contract: codec [--seconds S]).
 * Prints {"encoded_bytes":B,"encode_ops_per_s":E,"decode_ops_per_s":D}.
 */
import { Message } from '../src/index.js';
import { measureCodec, TYPICAL } from './codec-loop.js';

const m = new Message({ ...TYPICAL, properties: { ...TYPICAL.properties } });
const bytes = m.encode();
const check = Message.decode(bytes);
if (check.body !== TYPICAL.body || check.properties?.['k-long'] !== 1700000000000) {
  throw new Error('round trip mismatch');
}
const enc = () => m.encode().length;
const dec = () => (Message.decode(bytes).body as string).length;
measureCodec(bytes.length, enc, dec);
