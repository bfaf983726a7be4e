/** The AMQP message. */
export {
  type Annotations,
  type ApplicationProperties,
  type BodyKind,
  BodySections,
  Message,
  type MessageId,
  type MessageInit,
} from './message.js';
export { decodeMessage, encodeMessage, Section } from './message-codec.js';
