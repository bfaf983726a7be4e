/**
 * Handshaker: every endpoint the peer opens is opened (a link with the peer's source and target), every
 * one it closes is closed, and endpoints already opened or closed here are left as they are.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Receiver, type Sender, State } from '../../src/engine/index.js';
import { Handler } from '../../src/handlers/handler.js';
import { copyTermini, Handshaker } from '../../src/handlers/handshaker.js';
import { fire, linkNamed, openLink, peers, run } from './loop.js';

const OPEN = State.LOCAL_ACTIVE | State.REMOTE_ACTIVE;
const CLOSED = State.LOCAL_CLOSED | State.REMOTE_CLOSED;

describe('Handshaker', () => {
  it('opens the connection, session and link the peer opens', () => {
    const { client, server } = peers(new Handler(), new Handshaker());
    const rcv = openLink(client, server, 'queue-a', false);
    assert.equal(client.connection.state, OPEN);
    assert.equal(client.connection.sessions[0]!.state, OPEN);
    assert.equal(rcv.state, OPEN);
    const snd = linkNamed<Sender>(server, 'queue-a', true);
    assert.equal(snd.state, OPEN);
    assert.equal(server.connection.state, OPEN);
  });

  it("copies the peer's source and target into an auto-opened link", () => {
    const { client, server } = peers(new Handler(), new Handshaker());
    client.connection.open();
    const s = client.connection.session();
    s.open();
    const snd = s.sender('out');
    snd.source.address = 'from-here';
    snd.target.address = 'to-there';
    snd.target.capabilities = ['queue'];
    snd.open();
    run(client, server);
    const rcv = linkNamed<Receiver>(server, 'out', false);
    assert.equal(rcv.source.address, 'from-here');
    assert.equal(rcv.target.address, 'to-there');
    assert.deepEqual(rcv.target.capabilities, ['queue']);
    assert.equal(snd.remoteTarget?.address, 'to-there', 'the attach answered with the same target');
  });

  it('leaves a link the application opened itself as it is', () => {
    const { client, server } = peers(new Handler(), new Handshaker());
    client.connection.open();
    const s = client.connection.session();
    s.open();
    run(client, server);
    // The server opens its own receiver 'x' first, with its own target; then the client attaches.
    const own = server.connection.sessions[0]!.receiver('x');
    own.target.address = 'own';
    own.open();
    const snd = s.sender('x');
    snd.target.address = 'asked';
    snd.open();
    run(client, server);
    assert.equal(linkNamed<Receiver>(server, 'x', false), own);
    assert.equal(own.target.address, 'own');
    assert.equal(snd.remoteTarget?.address, 'own');
    // A second remote open event on an open link copies nothing either.
    own.target.address = 'later';
    fire(new Handshaker(), 'link_remote_open', own);
    assert.equal(own.target.address, 'later');
  });

  it('closes what the peer closes: link, session, connection', () => {
    const { client, server } = peers(new Handler(), new Handshaker());
    const snd = openLink(client, server, 'l', true);
    const srv = linkNamed<Receiver>(server, 'l', false);
    snd.close();
    run(client, server);
    assert.equal(srv.state, CLOSED);
    assert.equal(snd.state, CLOSED);
    const s = client.connection.sessions[0]!;
    s.close();
    run(client, server);
    assert.equal(server.connection.sessions[0]!.state, CLOSED);
    client.connection.close();
    run(client, server);
    assert.equal(server.connection.state, CLOSED);
    assert.equal(client.connection.state, CLOSED);
  });

  it('does not close twice what is closed here already', () => {
    const { client, server } = peers(new Handshaker(), new Handshaker());
    const snd = openLink(client, server, 'l', true);
    const srv = linkNamed<Receiver>(server, 'l', false);
    srv.close();
    snd.close();
    run(client, server);
    assert.equal(snd.state, CLOSED);
    assert.equal(srv.state, CLOSED);
    const closes = client.events.filter((e) => e.type === 'link_local_close').length;
    assert.equal(closes, 1);
  });

  it('copyTermini skips termini the peer did not send', () => {
    const { client, server } = peers(new Handler(), new Handshaker());
    const rcv = openLink(client, server, 'q', false);
    rcv.source.address = 'kept';
    rcv.remoteSource = undefined;
    copyTermini(rcv);
    assert.equal(rcv.source.address, 'kept');
  });
});
