/**
 * What a connection keeps when its transport goes away, for a reconnect to resume it on a new one:
 * endpoints the application still has open are re-opened (open, begin, attach go out again), everything
 * the old peer told us is forgotten, deliveries not yet sent wait for the new link, and deliveries that
 * were in flight are set aside as in doubt (`Link.inDoubt`), never dropped silently.
 */
import type { Connection } from './connection.js';
import { State } from './endpoint.js';
import { Receiver, Sender } from './link.js';

/** Resets `c`'s wire state after its transport was unbound. */
export function resetForNewTransport(c: Connection): void {
  c.remoteState = State.REMOTE_UNINIT;
  c.remoteCondition = undefined;
  c.openPending = c.localState === State.LOCAL_ACTIVE;
  c.closePending = false;
  c.clearWork();
  const keep = c.sessions.filter((s) => s.localState === State.LOCAL_ACTIVE);
  c.sessions.length = 0;
  c.sessions.push(...keep);
  for (const s of keep) {
    s.channel = -1;
    s.remoteChannel = -1;
    s.remoteState = State.REMOTE_UNINIT;
    s.remoteCondition = undefined;
    s.beginPending = true;
    s.endPending = false;
    s.flowPending = false;
    s.nextOutgoingId = 0;
    s.nextIncomingId = 0;
    s.remoteIncomingWindow = 0;
    s.incomingBytes = 0;
    s.linksByHandle.clear();
    s.linksByRemoteHandle.clear();
    s.outgoingDeliveries.clear();
    s.incomingDeliveries.clear();
    s.dispositions.clear();
    const links = s.links.filter((l) => l.localState === State.LOCAL_ACTIVE);
    s.links.length = 0;
    s.links.push(...links);
    for (const l of links) {
      l.handle = -1;
      l.remoteHandle = -1;
      l.remoteState = State.REMOTE_UNINIT;
      l.remoteCondition = undefined;
      l.remoteSource = undefined;
      l.remoteTarget = undefined;
      l.attachPending = true;
      l.detachPending = false;
      l.flowPending = false;
      l.linkCredit = 0;
      l.drain = false;
      if (l instanceof Sender) {
        l.initialDeliveryCount = l.deliveryCount;
        for (const d of l.deliveries) {
          if (!d.started) continue;
          // Sent but not settled by the peer: its fate is unknown. Set it aside for the application.
          l.deliveries.delete(d);
          if (!d.remoteSettled) l.inDoubt.push(d);
        }
        // A delivery cut off half way must go again whole: it is in doubt too.
        while (l.unsent.length > 0 && l.unsent[0]!.started) l.unsent.shift();
      } else if (l instanceof Receiver) {
        // What arrived on the old link can no longer be settled on it.
        l.deliveries.clear();
        l.incoming.length = 0;
        l.current = undefined;
        l.deliveryCount = 0;
        l.flowPending = l.linkCredit > 0;
      }
      c.workList.add(l);
    }
    c.workList.add(s);
  }
}
