# Shared by the peer scripts of this folder (source it): the state directory, the recorded PID and the
# AMQP readiness probe. Every script takes `start|wait|stop|status`, reads its settings from the
# environment (PEER_STATE_DIR, PEER_PORT...), listens on 127.0.0.1 only and signals only the PIDs it
# wrote into its state directory.

: "${PEER_STATE_DIR:=${TMPDIR:-/tmp}/proton-ts-peer-$PEER_NAME}"
: "${PEER_WAIT_S:=30}"

die() { echo "$PEER_NAME: $*" >&2; exit 1; }
# Whether the process whose PID is $1 is alive.
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
# The PID recorded under the name $1 (default "pid"), or nothing.
recorded() { local f="$PEER_STATE_DIR/${1:-pid}"; [ -f "$f" ] && cat "$f" || true; }
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Whether 127.0.0.1:$1 speaks AMQP 1.0: a SASL protocol header sent there comes back unchanged (a server
# without SASL answers with the plain AMQP header, which is fine too).
amqp_ready() {
  local got
  got=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
        printf "AMQP\x03\x01\x00\x00" >&3; head -c 8 <&3 | od -An -tx1' "$1" 2>/dev/null | tr -d ' \n') || return 1
  [ "$got" = "414d515003010000" ] || [ "$got" = "414d515000010000" ]
}
# Waits until port $1 answers AMQP while the recorded process lives; the log $2 is shown on failure.
wait_ready() {
  local start=$SECONDS
  until amqp_ready "$1"; do
    alive "$(recorded)" || { tail -n 20 "$2" >&2 2>/dev/null || true; die "the process has exited"; }
    [ $((SECONDS - start)) -ge "$PEER_WAIT_S" ] && die "not answering on 127.0.0.1:$1 after ${PEER_WAIT_S}s"
    sleep 0.1
  done
}
# Stops the recorded process (TERM, then KILL after 5 s) and forgets it.
stop_recorded() {
  local pid n=0
  pid=$(recorded "${1:-pid}")
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    while alive "$pid" && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PEER_STATE_DIR/${1:-pid}"
}
