/** The protocol engine, sans I/O: connections, sessions, links, deliveries, and the transport. */
export { Collector } from './collector.js';
export { Condition, ErrorCondition } from './condition.js';
export { Connection } from './connection.js';
export { Delivery, DeliveryError, type DeliveryStateValue } from './delivery.js';
export { Endpoint, State } from './endpoint.js';
export { EngineEvent, EventType, type EventTypeName } from './event.js';
export { Link, LinkError, Receiver, ReceiverSettleMode, Sender, SenderSettleMode } from './link.js';
export { type ClientSaslLayerOptions, SaslLayer, type ServerSaslLayerOptions } from './sasl-layer.js';
export { MAX_WINDOW, Session } from './session.js';
export { Durability, Terminus, type TerminusType } from './terminus.js';
export { ProtocolError, Transport, type TransportOptions } from './transport.js';
