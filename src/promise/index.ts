/** The promise and async-iterator API, on the Container, and Proton's blocking utilities' names. */
export {
  BlockingConnection,
  type BlockingConnectionOptions,
  BlockingReceiver,
  BlockingSender,
  SyncRequestResponse,
} from './blocking.js';
export { connect } from './connect.js';
export { PromiseConnection, type PromiseConnectOptions } from './connection.js';
export { PromiseReceiver, ReceivedDelivery, type ReceiverOpenOptions } from './receiver.js';
export { Requester, type RequestHandler, type RequestOptions, Responder } from './request.js';
export { PromiseSender, type SendableMessage, type SenderOpenOptions } from './sender.js';
export { PromiseTransaction, type TransactionBody } from './transaction.js';
export type { WaitOptions } from './wait.js';
