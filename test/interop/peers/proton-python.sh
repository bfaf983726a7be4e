#!/usr/bin/env bash
# Proton Python's example broker (Debian's python3-qpid-proton 0.37, examples from
# libqpid-proton11-dev-examples) on 127.0.0.1:$PEER_PORT, its log in $PEER_STATE_DIR.
#
#   proton-python.sh start|wait|stop|status
set -euo pipefail
PEER_NAME=proton-python
. "$(dirname "$0")/common.sh"
: "${PEER_PORT:?set PEER_PORT}"
PYTHON=${PEER_PYTHON:-/usr/bin/python3}
BROKER=/usr/share/proton/examples/python/broker.py
LOG=$PEER_STATE_DIR/broker.log

case "${1:-}" in
  start)
    "$PYTHON" -c 'import proton' 2>/dev/null || die "$PYTHON cannot import proton: apt-get install -y python3-qpid-proton"
    [ -f "$BROKER" ] || die "no $BROKER: apt-get install -y libqpid-proton11-dev-examples"
    alive "$(recorded)" && die "already running (pid $(recorded))"
    port_in_use "$PEER_PORT" && die "127.0.0.1:$PEER_PORT is in use"
    mkdir -p "$PEER_STATE_DIR"
    "$PYTHON" -u "$BROKER" -a "127.0.0.1:$PEER_PORT" >"$LOG" 2>&1 </dev/null &
    echo $! >"$PEER_STATE_DIR/pid"
    ;;
  wait) wait_ready "$PEER_PORT" "$LOG" ;;
  stop) stop_recorded ;;
  status) alive "$(recorded)" && echo "running, pid $(recorded)" || { echo "not running"; exit 1; } ;;
  *) echo "usage: $0 start|wait|stop|status" >&2; exit 2 ;;
esac
