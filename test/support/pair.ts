/**
 * Two engines wired together in memory, as Proton's own engine tests do: a client and a server
 * transport, each with its connection and collector, and `pump` to move bytes both ways until neither
 * has anything left to say.
 */
import {
  type ClientSaslLayerOptions,
  Collector,
  Connection,
  type EngineEvent,
  SaslLayer,
  type ServerSaslLayerOptions,
  Transport,
  type TransportOptions,
} from '../../src/engine/index.js';

export interface Side {
  transport: Transport;
  connection: Connection;
  collector: Collector;
  /** Every event taken so far, by type name, in order. */
  events: EngineEvent[];
}

export interface PairOptions {
  client?: TransportOptions;
  server?: TransportOptions;
  clientSasl?: ClientSaslLayerOptions;
  serverSasl?: ServerSaslLayerOptions;
}

function side(options: TransportOptions, server: boolean): Side {
  const transport = new Transport({ ...options, server });
  const connection = new Connection();
  const collector = new Collector();
  connection.collect(collector);
  transport.bind(connection);
  return { transport, connection, collector, events: [] };
}

/** A client and a server, bound and ready (not opened). */
export function pair(options: PairOptions = {}): { client: Side; server: Side } {
  const client = side(options.client ?? {}, false);
  const server = side(options.server ?? {}, true);
  if (options.clientSasl)
    client.transport.setSasl(new SaslLayer(client.transport, { client: options.clientSasl }));
  if (options.serverSasl)
    server.transport.setSasl(new SaslLayer(server.transport, { server: options.serverSasl }));
  client.connection.containerId = 'client';
  server.connection.containerId = 'server';
  return { client, server };
}

/** Moves every pending byte between the two, until both are quiet. Returns the bytes moved. */
export function pump(a: Side, b: Side, chunk = 0): number {
  let moved = 0;
  for (let rounds = 0; rounds < 10_000; rounds++) {
    const ab = a.transport.takeOutput();
    const ba = b.transport.takeOutput();
    if (ab === undefined && ba === undefined) return moved;
    if (ab !== undefined) feed(b.transport, ab, chunk);
    if (ba !== undefined) feed(a.transport, ba, chunk);
    moved += (ab?.length ?? 0) + (ba?.length ?? 0);
  }
  throw new Error('pump did not settle in 10,000 rounds');
}

function feed(t: Transport, bytes: Buffer, chunk: number): void {
  if (chunk <= 0) return t.push(bytes);
  for (let i = 0; i < bytes.length; i += chunk) t.push(bytes.subarray(i, i + chunk));
}

/** Takes every queued event of a side, returning their type names (and keeping them in `events`). */
export function drain(s: Side): string[] {
  const names: string[] = [];
  for (let e = s.collector.pop(); e !== undefined; e = s.collector.pop()) {
    s.events.push(e);
    names.push(e.type);
  }
  return names;
}
