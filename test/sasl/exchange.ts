/**
 * Runs one SASL exchange in memory between a client and a server mechanism, as the engine's transport will
 * over frames: sasl-init, then challenge and response until the server gives an outcome, then the client's
 * check of that outcome. Optional hooks may rewrite each message on its way, to play a tampering peer.
 */
import type { ClientMechanism, ServerMechanism, ServerStep } from '../../src/sasl/index.js';
import { isChallenge, isSuccess } from '../../src/sasl/index.js';

export interface ExchangeHooks {
  hostname?: string;
  /** Rewrites the client's n-th message (0 is the initial response). */
  fromClient?: (data: Uint8Array | undefined, n: number) => Uint8Array | undefined;
  /** Rewrites the server's n-th message (its challenges, then the outcome's additional data). */
  fromServer?: (data: Uint8Array | undefined, n: number) => Uint8Array | undefined;
}

export interface ExchangeResult {
  /** The server's last step: its outcome, unless the client gave up first. */
  readonly step: ServerStep | undefined;
  /** What the client threw, if it refused the server. */
  readonly clientError: unknown;
  /** The messages, in order, as `C: text` and `S: text` (UTF-8, lossy). */
  readonly transcript: readonly string[];
}

const text = (b: Uint8Array | undefined): string =>
  b === undefined ? '(none)' : Buffer.from(b).toString('utf8');

export async function exchange(
  client: ClientMechanism,
  server: ServerMechanism,
  hooks: ExchangeHooks = {},
): Promise<ExchangeResult> {
  const transcript: string[] = [];
  let c = 0;
  let s = 0;
  const fromClient = (d: Uint8Array | undefined) => {
    const out = hooks.fromClient ? hooks.fromClient(d, c) : d;
    c++;
    transcript.push(`C: ${text(out)}`);
    return out;
  };
  const fromServer = (d: Uint8Array | undefined) => {
    const out = hooks.fromServer ? hooks.fromServer(d, s) : d;
    s++;
    transcript.push(`S: ${text(out)}`);
    return out;
  };
  let step: ServerStep | undefined;
  // Only the client may throw (a SASLError when it refuses the server); a server throw fails the test.
  const asClient = <T>(f: () => T): { ok: true; value: T } | { ok: false; error: unknown } => {
    try {
      return { ok: true, value: f() };
    } catch (error) {
      return { ok: false, error };
    }
  };
  const initial = asClient(() => fromClient(client.initialResponse(hooks.hostname)));
  if (!initial.ok) return { step, clientError: initial.error, transcript };
  step = await server.init(initial.value, hooks.hostname);
  for (let round = 0; isChallenge(step); round++) {
    if (round > 10) throw new Error('the exchange does not end');
    const challenge = fromServer(step.challenge) ?? new Uint8Array(0);
    const response = asClient(() => fromClient(client.challenge(challenge)));
    if (!response.ok) return { step, clientError: response.error, transcript };
    step = await server.response(response.value ?? new Uint8Array(0));
  }
  if (isSuccess(step)) {
    const data = fromServer(step.additionalData);
    const checked = asClient(() => client.outcome(data));
    if (!checked.ok) return { step, clientError: checked.error, transcript };
  } else {
    transcript.push(`S: outcome ${step.outcome}`);
  }
  return { step, clientError: undefined, transcript };
}

/** The UTF-8 bytes of a string. */
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
/** The string of UTF-8 bytes. */
export const str = (b: Uint8Array | undefined): string =>
  b === undefined ? '' : Buffer.from(b).toString('utf8');
