#!/usr/bin/python3
"""Proton Python 0.37 as the far end of the interop suite's `types` scenario (test/interop/).

  typed_peer.py send [--listen] HOST:PORT/ADDRESS      < JSON list of typed dumps
  typed_peer.py recv [--listen] HOST:PORT/ADDRESS COUNT

A typed dump is {"properties", "annotations", "body", "body_kind"} in typed JSON
(test/support/typed-json.ts, written and read here by test/fixtures/proton/values.py).

send   builds one Proton message per dump, writing the typed values straight into the C message's
       trees (so that Python's own type mapping cannot change them), with message-id = its index, sends
       them on one link, and prints one JSON line per disposition: {"index": n, "outcome": "ACCEPTED"...};
       then it closes.
recv   takes COUNT messages, accepts each and prints one JSON line per message: {"id": <typed id>,
       "dump": <typed dump read from the C message's trees>}; then it closes.

Without --listen it connects to HOST:PORT; with it, it listens there (for one connection) and prints
{"listening": true} once it does. It exits 0 when done and 1 on a connection, session or link error
(printed as {"error": ...}).
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "fixtures", "proton"))

from cproton import pn_message_annotations, pn_message_body, pn_message_properties  # noqa: E402
from proton import Data, Delivery, Message, Url  # noqa: E402
from proton.handlers import MessagingHandler  # noqa: E402
from proton.reactor import Container  # noqa: E402

from messages import fields, id_typed  # noqa: E402
from values import put_typed  # noqa: E402

STATES = {Delivery.ACCEPTED: "ACCEPTED", Delivery.REJECTED: "REJECTED", Delivery.RELEASED: "RELEASED",
          Delivery.MODIFIED: "MODIFIED"}


class TreeMessage(Message):
    """A Message whose C trees are written directly: encoding must not rebuild them from Python values."""

    def _pre_encode(self):
        pass


def build(dump, index):
    msg = TreeMessage()
    msg.id = index
    for getter, key in ((pn_message_properties, "properties"), (pn_message_annotations, "annotations"),
                        (pn_message_body, "body")):
        if dump.get(key) is not None:
            data = Data(getter(msg._msg))
            data.clear()
            put_typed(data, dump[key])
    msg.inferred = dump["body_kind"] != "value"
    return msg


def emit(obj):
    print(json.dumps(obj), flush=True)


class Peer(MessagingHandler):
    def __init__(self, mode, url, listen, count, dumps):
        super(Peer, self).__init__(auto_accept=True)
        self.mode = mode
        self.url = Url(url)
        self.listen = listen
        self.count = count
        self.dumps = dumps
        self.sent = 0
        self.index = {}
        self.settled = 0
        self.received = 0
        self.acceptor = None
        self.failed = False

    def on_start(self, event):
        where = "%s:%s" % (self.url.host, self.url.port)
        if self.listen:
            self.acceptor = event.container.listen(where)
            emit({"listening": True})
            return
        # The whole URL, so that a user and password in it are used (SASL PLAIN).
        conn = event.container.connect(str(self.url), allow_insecure_mechs=True, reconnect=False)
        if self.mode == "send":
            event.container.create_sender(conn, self.url.path)
        else:
            event.container.create_receiver(conn, self.url.path)

    def on_sendable(self, event):
        sender = event.sender
        while self.mode == "send" and sender.credit and self.sent < len(self.dumps):
            dlv = sender.send(build(self.dumps[self.sent], self.sent))
            self.index[dlv.tag] = self.sent
            self.sent += 1

    def outcome(self, event):
        emit({"index": self.index[event.delivery.tag],
              "outcome": STATES.get(event.delivery.remote_state, str(event.delivery.remote_state))})
        self.settled += 1
        if self.settled == len(self.dumps):
            self.finish(event)

    on_accepted = outcome
    on_rejected = outcome
    on_released = outcome

    def on_message(self, event):
        f = fields(event.message)
        emit({"id": id_typed(event.message.id), "dump": {k: f[k] for k in
                                                          ("properties", "annotations", "body", "body_kind")}})
        self.received += 1
        if self.received == self.count:
            self.finish(event)

    def finish(self, event):
        event.connection.close()
        if self.acceptor is not None:
            self.acceptor.close()

    def error(self, event, what, endpoint):
        cond = endpoint.remote_condition if endpoint is not None else None
        emit({"error": what, "condition": None if cond is None else cond.name,
              "description": None if cond is None else cond.description})
        self.failed = True
        event.connection.close()
        if self.acceptor is not None:
            self.acceptor.close()

    def on_connection_error(self, event):
        self.error(event, "connection", event.connection)

    def on_session_error(self, event):
        self.error(event, "session", event.session)

    def on_link_error(self, event):
        self.error(event, "link", event.link)

    def on_transport_error(self, event):
        cond = event.transport.condition
        emit({"error": "transport", "condition": cond and cond.name, "description": cond and cond.description})
        self.failed = True
        if self.acceptor is not None:
            self.acceptor.close()


def main(argv):
    mode = argv[0]
    args = argv[1:]
    listen = "--listen" in args
    args = [a for a in args if a != "--listen"]
    dumps = json.load(sys.stdin) if mode == "send" else []
    count = int(args[1]) if mode == "recv" else len(dumps)
    peer = Peer(mode, args[0], listen, count, dumps)
    Container(peer).run()
    return 1 if peer.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
