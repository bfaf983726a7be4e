/** The SASL mechanisms and the client and server decisions; the engine's transport carries their frames. */
export { ANONYMOUS_TRACE, AnonymousClient, AnonymousServer } from './anonymous.js';
export { ExternalClient, ExternalServer } from './external.js';
export {
  type ClientMechanism,
  isChallenge,
  isSuccess,
  SaslCode,
  type SaslFailureCode,
  type ServerChallenge,
  type ServerFailure,
  type ServerMechanism,
  type ServerStep,
  type ServerSuccess,
} from './mechanism.js';
export {
  type ClientChoice,
  ClientNegotiator,
  type ClientSaslOptions,
  type ClientTransportInfo,
  isRefusal,
  SASL_MECHANISMS,
  type SaslMechanismName,
  ServerNegotiator,
  type ServerSaslOptions,
  type ServerTransportInfo,
} from './negotiator.js';
export { type PlainAuthenticator, PlainClient, type PlainCredentials, PlainServer } from './plain.js';
export {
  SCRAM_DEFAULT_ITERATIONS,
  SCRAM_MECHANISMS,
  type ScramCredentials,
  type ScramCredentialsOptions,
  type ScramHash,
  type ScramMechanismName,
  scramCredentials,
} from './scram.js';
export { SCRAM_MAX_ITERATIONS, ScramClient, type ScramClientOptions } from './scram-client.js';
export { type ScramCredentialLookup, ScramServer, type ScramServerOptions } from './scram-server.js';
export { saslPrep } from './text.js';
