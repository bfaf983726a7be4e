/**
 * The SASL layer of the transport: its frames and states, client and server. The decisions (which
 * mechanism, what the bytes mean) are the `sasl/` module's; this layer carries them in sasl-mechanisms,
 * sasl-init, sasl-challenge, sasl-response and sasl-outcome frames. A server-side check may be
 * asynchronous: the layer waits for it, then writes the next frame and wakes the I/O layer.
 */
import {
  SaslChallenge,
  SaslInit,
  SaslMechanisms,
  SaslOutcome,
  SaslResponse,
} from '../codec/composite-types.js';
import { SASLError } from '../errors.js';
import type { ClientMechanism, ServerMechanism, ServerStep } from '../sasl/mechanism.js';
import {
  ClientNegotiator,
  type ClientSaslOptions,
  isRefusal,
  ServerNegotiator,
  type ServerSaslOptions,
} from '../sasl/negotiator.js';
import { ErrorCondition } from './condition.js';
import { FrameType, writeFrame } from './frame.js';
import { ProtocolError, type Transport } from './transport.js';

/**
 * SASL options of a server transport. Proton sets these on `Transport.sasl()` (`SASL.allowed_mechs`,
 * `SASL.allow_insecure_mechs`) and `Transport.require_auth`.
 */
export interface ServerSaslLayerOptions extends ServerSaslOptions {
  /**
   * Accept a client that skips SASL and sends the bare AMQP header (Proton lets one in unless
   * `Transport.require_auth(True)`).
   * @default false
   */
  optional?: boolean;
}

/**
 * SASL options of a client transport. Proton takes these from `Connection.user`, `Connection.password`
 * and `Transport.sasl()` (`SASL.allowed_mechs`, `SASL.allow_insecure_mechs`).
 */
export interface ClientSaslLayerOptions extends ClientSaslOptions {
  /**
   * The transport gives the server an identity for us (a TLS client certificate), for EXTERNAL.
   * proton-ts only: Proton asks its SSL layer.
   * @default false
   */
  externalIdentity?: boolean;
}

/**
 * The SASL exchange of one transport, as the client or the server, and its result. Proton: `SASL`
 * (`transport.sasl()`).
 */
export class SaslLayer {
  /** The exchange is over, one way or the other, or was skipped. proton-ts only: Proton has no such flag. */
  finished = false;
  /** The exchange succeeded (AMQP: `sasl-outcome.code` ok). Proton: `Transport.authenticated`. */
  succeeded = false;
  /** The mechanism used (AMQP: `sasl-init.mechanism`). Proton: `SASL.mech`. */
  mechanism: string | undefined = undefined;
  /** The outcome code, once known (AMQP: `sasl-outcome.code`). Proton: `SASL.outcome`. */
  outcome: number | undefined = undefined;
  /** Server: the authenticated user; client: the user we authenticated as. Proton: `SASL.user`. */
  user: string | undefined = undefined;
  /** Server: the authorization identity the client asked for. Proton: `SASL.authorization`. */
  authzid: string | undefined = undefined;
  /**
   * Server: whether a client that skips SASL and sends the bare AMQP header is let in (Proton lets one in
   * unless `Transport.require_auth(True)`).
   * @default false
   */
  readonly optional: boolean;

  private clientMech: ClientMechanism | undefined = undefined;
  private serverMech: ServerMechanism | undefined = undefined;
  private server: ServerNegotiator | undefined = undefined;
  private client: ClientNegotiator | undefined = undefined;
  private mechanismsSent = false;
  private waiting = false;

  constructor(
    private readonly t: Transport,
    private readonly options: { client: ClientSaslLayerOptions } | { server: ServerSaslLayerOptions },
  ) {
    if ('client' in options) {
      this.client = new ClientNegotiator(options.client);
      this.user = options.client.user;
      this.optional = false;
    } else {
      this.optional = options.server.optional ?? false;
    }
  }

  /**
   * The peer skipped SASL (a server that allows it). proton-ts only (Proton has no counterpart): the
   * transport calls it.
   */
  skip(): void {
    this.finished = true;
  }

  /**
   * Writes the frames owed: the server's AMQP `sasl-mechanisms` once the client's header came. proton-ts
   * only: called by the transport.
   */
  produce(t: Transport): void {
    if ('server' in this.options && t.layer === 'sasl') this.sendMechanisms();
  }

  /** The server's mechanisms go out once, as soon as the client's SASL header is in. */
  private sendMechanisms(): ServerNegotiator {
    if (this.server === undefined && 'server' in this.options) {
      this.server = new ServerNegotiator(this.options.server, { encrypted: this.t.encrypted });
    }
    if (!this.mechanismsSent) {
      this.mechanismsSent = true;
      const m = new SaslMechanisms();
      m.saslServerMechanisms = [...this.server!.mechanisms];
      this.write(m);
    }
    return this.server!;
  }

  private write(frame: object): void {
    const start = this.t.enc.w.pos;
    writeFrame(this.t.enc, FrameType.sasl, 0, frame);
    this.t.wroteFrame(start, FrameType.sasl);
  }

  /**
   * A SASL frame arrived (AMQP: `sasl-mechanisms`, `sasl-init`, `sasl-challenge`, `sasl-response` or
   * `sasl-outcome`). proton-ts only (Proton has no counterpart): the transport calls it.
   */
  handle(t: Transport, frame: unknown): void {
    if (this.finished) throw new ProtocolError(ErrorCondition.framingError, 'a SASL frame after the outcome');
    if (this.client !== undefined) this.handleClient(t, frame);
    else this.handleServer(frame);
  }

  private handleClient(t: Transport, frame: unknown): void {
    try {
      if (frame instanceof SaslMechanisms) {
        const extern = 'client' in this.options && this.options.client.externalIdentity === true;
        const choice = this.client!.choose(frame.saslServerMechanisms ?? [], {
          encrypted: t.encrypted,
          externalIdentity: extern,
        });
        if (choice.mechanism === undefined) throw new SASLError(choice.reason);
        this.clientMech = choice.mechanism;
        this.mechanism = choice.mechanism.name;
        const init = new SaslInit();
        init.mechanism = choice.mechanism.name;
        init.hostname = t.connection?.hostname;
        init.initialResponse = choice.mechanism.initialResponse(init.hostname);
        this.write(init);
      } else if (frame instanceof SaslChallenge) {
        if (this.clientMech === undefined) throw new SASLError('a challenge before sasl-init');
        const r = new SaslResponse();
        r.response = this.clientMech.challenge(frame.challenge);
        this.write(r);
      } else if (frame instanceof SaslOutcome) {
        this.outcome = frame.code;
        if (frame.code !== 0) {
          this.finished = true;
          throw new SASLError(`SASL authentication failed (outcome ${frame.code})`, frame.code);
        }
        if (this.clientMech === undefined) throw new SASLError('an outcome before sasl-init');
        this.clientMech.outcome(frame.additionalData);
        this.finished = true;
        this.succeeded = true;
        t.layer = 'amqp-header';
        t.wake();
      } else {
        throw new ProtocolError(ErrorCondition.framingError, 'unexpected frame in the SASL exchange');
      }
    } catch (e) {
      if (e instanceof SASLError) {
        this.finished = true;
        throw new ProtocolError(ErrorCondition.unauthorizedAccess, e.message);
      }
      throw e;
    }
  }

  private handleServer(frame: unknown): void {
    if (this.waiting)
      throw new ProtocolError(ErrorCondition.framingError, 'a SASL frame while one is being checked');
    if (frame instanceof SaslInit) {
      if (this.serverMech !== undefined)
        throw new ProtocolError(ErrorCondition.framingError, 'a second sasl-init');
      // A client may pipeline its sasl-init behind its header: the mechanisms go out first all the same.
      const selected = this.sendMechanisms().select(frame.mechanism);
      this.mechanism = frame.mechanism;
      if (isRefusal(selected)) return this.step(selected);
      this.serverMech = selected;
      this.await(selected.init(frame.initialResponse, frame.hostname));
    } else if (frame instanceof SaslResponse) {
      if (this.serverMech === undefined)
        throw new ProtocolError(ErrorCondition.framingError, 'a response before sasl-init');
      this.await(this.serverMech.response(frame.response));
    } else {
      throw new ProtocolError(ErrorCondition.framingError, 'unexpected frame in the SASL exchange');
    }
  }

  private await(step: ServerStep | Promise<ServerStep>): void {
    if (!(step instanceof Promise)) return this.step(step);
    this.waiting = true;
    step.then(
      (s) => {
        this.waiting = false;
        if (!this.t.tailClosed) this.step(s);
        this.t.wake();
      },
      (e: unknown) => {
        this.waiting = false;
        this.step({ outcome: 2, reason: `the authenticator failed: ${String(e)}` });
        this.t.wake();
      },
    );
  }

  private step(s: ServerStep): void {
    if ('challenge' in s) {
      const c = new SaslChallenge();
      c.challenge = s.challenge;
      this.write(c);
      return;
    }
    const o = new SaslOutcome();
    o.code = s.outcome;
    this.outcome = s.outcome;
    this.finished = true;
    if (s.outcome === 0) {
      o.additionalData = s.additionalData;
      this.write(o);
      this.succeeded = true;
      this.user = s.user;
      this.authzid = s.authzid;
      this.t.layer = 'amqp-header';
      return;
    }
    this.write(o);
    this.t.fail(
      ErrorCondition.unauthorizedAccess,
      s.reason ?? `SASL authentication failed (outcome ${s.outcome})`,
    );
  }
}
