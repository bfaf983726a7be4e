/** The handlers: `MessagingHandler` and the children it is made of, transactions, Reject and Release. */
export { Reject, Release } from '../errors.js';
export { accept, reject, release, settle } from './acking.js';
export { raise } from './delegate.js';
export { EndpointStateHandler, type EndpointStateHandlerOptions } from './endpoint-state-handler.js';
export { FlowController } from './flow-controller.js';
export { Handler } from './handler.js';
export { copyTermini, Handshaker } from './handshaker.js';
export { IncomingMessageHandler, type IncomingMessageHandlerOptions } from './incoming-message-handler.js';
export { MessagingHandler, type MessagingHandlerOptions } from './messaging-handler.js';
export { OutgoingMessageHandler, type OutgoingMessageHandlerOptions } from './outgoing-message-handler.js';
export {
  TransactionalClientHandler,
  type TransactionCallbacks,
  TransactionHandler,
  type TransactionLike,
} from './transaction-handler.js';
