#!/usr/bin/env bash
# Proton C's example broker (Debian's libqpid-proton11 0.37 and its examples package), built with gcc
# into $PEER_STATE_DIR/bin together with send, receive and direct, on 127.0.0.1:$PEER_PORT. The broker
# takes TLS and plain AMQP on that one port: its certificate (CN=localhost, SAN localhost and 127.0.0.1,
# signed by a CA made here, $PEER_STATE_DIR/ssl-certs/ca.pem) is made at start with openssl, because
# the certificates Debian ships have expired. It reads them from ssl-certs/ relative to its working
# directory, so it runs in $PEER_STATE_DIR.
#
#   proton-c.sh start|wait|stop|status        (start builds first)
#   proton-c.sh build                         (only the programs, into $PEER_STATE_DIR/bin)
set -euo pipefail
PEER_NAME=proton-c
. "$(dirname "$0")/common.sh"
SRC=/usr/share/proton/examples/c
BIN=$PEER_STATE_DIR/bin
CERTS=$PEER_STATE_DIR/ssl-certs
LOG=$PEER_STATE_DIR/broker.log
PROGRAMS="broker send receive direct"

build() {
  command -v gcc >/dev/null || die "no gcc: apt-get install -y gcc"
  [ -f "$SRC/broker.c" ] || die "no $SRC/broker.c: apt-get install -y libqpid-proton11-dev-examples"
  [ -f /usr/include/proton/proactor.h ] || die "no proton headers: apt-get install -y libqpid-proton11-dev"
  mkdir -p "$BIN"
  local x pids=()
  for x in $PROGRAMS; do
    [ -x "$BIN/$x" ] && continue
    # Debian ships one libqpid-proton.pc, not the core/proactor split the examples' makefile wants.
    gcc -O2 -I"$SRC" -o "$BIN/$x" "$SRC/$x.c" -lqpid-proton -lpthread &
    pids+=($!)
  done
  for x in "${pids[@]}"; do wait "$x" || die "gcc failed"; done
}

certs() {
  command -v openssl >/dev/null || die "no openssl: apt-get install -y openssl"
  mkdir -p "$CERTS"
  (
    cd "$CERTS"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=proton-ts interop CA" \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -subj "/CN=localhost" -passout pass:tserverpw \
      -keyout tserver-private-key.pem -out tserver.csr 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >ext.cnf
    openssl x509 -req -in tserver.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
      -extfile ext.cnf -out tserver-certificate.pem 2>/dev/null
  ) || die "openssl failed"
}

case "${1:-}" in
  build) build ;;
  start)
    : "${PEER_PORT:?set PEER_PORT}"
    alive "$(recorded)" && die "already running (pid $(recorded))"
    port_in_use "$PEER_PORT" && die "127.0.0.1:$PEER_PORT is in use"
    build
    [ -f "$CERTS/tserver-certificate.pem" ] || certs
    # exec, so that the recorded PID is the broker's own and not a subshell's.
    (cd "$PEER_STATE_DIR" && exec ./bin/broker 127.0.0.1 "$PEER_PORT") >"$LOG" 2>&1 </dev/null &
    echo $! >"$PEER_STATE_DIR/pid"
    ;;
  wait) wait_ready "$PEER_PORT" "$LOG" ;;
  stop) stop_recorded ;;
  status) alive "$(recorded)" && echo "running, pid $(recorded)" || { echo "not running"; exit 1; } ;;
  *) echo "usage: $0 build|start|wait|stop|status" >&2; exit 2 ;;
esac
