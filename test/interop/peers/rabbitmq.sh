#!/usr/bin/env bash
# RabbitMQ 3.10 (Debian's rabbitmq-server) with its AMQP 1.0 plugin, as a peer of the interop suite.
#
#   rabbitmq.sh start         start it in the background, in its own state directory
#   rabbitmq.sh wait          block until the AMQP port answers the AMQP 1.0 SASL header (RMQ_WAIT_S)
#   rabbitmq.sh stop          stop what `start` started (by the PIDs it recorded), keeping the state
#   rabbitmq.sh status        say whether it runs; exit 1 when it does not
#   rabbitmq.sh ctl ARGS...   rabbitmqctl against this node (`ctl list_queues name messages`)
#   rabbitmq.sh clean         stop, then delete the state directory
#
# Everything lives in RMQ_DIR: configuration, enabled_plugins, mnesia (queues and persistent messages
# survive a stop and start), logs, the Erlang cookie and the TLS certificates, which are made here at
# start time by openssl (a CA of our own and a CN=localhost server certificate; the CA is tls/ca.pem).
# Every listener is on 127.0.0.1. Only the processes whose PIDs this script wrote down are signalled:
# the server and, when it had to start one, its own epmd (on RMQ_EPMD_PORT, not the system's 4369, so
# that stopping it can never take another Erlang node's epmd away).
#
# Env: RMQ_DIR (${TMPDIR:-/tmp}/proton-ts-rabbitmq), RMQ_PORT (5672), RMQ_TLS_PORT (5671; "none" for
#      no TLS listener), RMQ_DIST_PORT (RMQ_PORT + 20000), RMQ_EPMD_PORT (4371), RMQ_WAIT_S (60).
set -euo pipefail

RMQ_DIR=${RMQ_DIR:-${TMPDIR:-/tmp}/proton-ts-rabbitmq}
RMQ_PORT=${RMQ_PORT:-5672}
RMQ_TLS_PORT=${RMQ_TLS_PORT:-5671}
RMQ_DIST_PORT=${RMQ_DIST_PORT:-$((RMQ_PORT + 20000))}
RMQ_EPMD_PORT=${RMQ_EPMD_PORT:-4371}
RMQ_WAIT_S=${RMQ_WAIT_S:-60}
# The node name carries the port, so two instances sharing one epmd never clash.
RMQ_NODE=rabbit-${RMQ_PORT}@localhost
SERVER=/usr/lib/rabbitmq/bin/rabbitmq-server
CTL=/usr/lib/rabbitmq/bin/rabbitmqctl

fail() {
  echo "rabbitmq.sh: $*" >&2
  exit 1
}
running() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
recorded() { cat "$RMQ_DIR/$1.pid" 2>/dev/null || true; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The environment that points the server and rabbitmqctl at this state directory only (an empty env
# file, so /etc/rabbitmq/rabbitmq-env.conf is not read; HOME for the Erlang cookie).
node_env() {
  export HOME="$RMQ_DIR/home"
  export ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$RMQ_EPMD_PORT"
  export RABBITMQ_NODENAME="$RMQ_NODE" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$RMQ_PORT" RABBITMQ_DIST_PORT="$RMQ_DIST_PORT"
  export RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf"
  export RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
  export RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia" RABBITMQ_LOG_BASE="$RMQ_DIR/log" RABBITMQ_LOGS=-
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

# True when the port echoes the AMQP 1.0 SASL header, as RabbitMQ does once the plugin is up (before
# that, or without the plugin, it answers with the 0-9-1 header).
amqp10_answers() {
  local reply
  reply=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "AMQP\x03\x01\x00\x00" >&3; head -c 8 <&3 | od -An -tx1' "$1" 2>/dev/null | tr -d ' \n') || return 1
  [ "$reply" = "414d515003010000" ]
}

make_certs() {
  local d="$RMQ_DIR/tls"
  [ -f "$d/server.pem" ] && return 0
  command -v openssl >/dev/null || fail "openssl is needed for the TLS listener"
  mkdir -p "$d"
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=proton-ts rabbitmq test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -new "${ec[@]}" -subj "/CN=localhost" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' \
    >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -set_serial "$RANDOM" -days 2 \
    -extfile "$d/server.ext" -out "$d/server.pem" 2>/dev/null
}

write_config() {
  mkdir -p "$RMQ_DIR/home" "$RMQ_DIR/mnesia" "$RMQ_DIR/log"
  : >"$RMQ_DIR/rabbitmq-env.conf"
  echo '[rabbitmq_amqp1_0].' >"$RMQ_DIR/enabled_plugins"
  {
    echo "listeners.tcp.1 = 127.0.0.1:$RMQ_PORT"
    echo "loopback_users.guest = true"
    # ANONYMOUS and SASL-less connections act as guest, in the default virtual host.
    echo "amqp1_0.default_user = guest"
    echo "amqp1_0.default_vhost = /"
    if [ "$RMQ_TLS_PORT" != none ]; then
      make_certs
      echo "listeners.ssl.1 = 127.0.0.1:$RMQ_TLS_PORT"
      echo "ssl_options.cacertfile = $RMQ_DIR/tls/ca.pem"
      echo "ssl_options.certfile = $RMQ_DIR/tls/server.pem"
      echo "ssl_options.keyfile = $RMQ_DIR/tls/server.key"
      echo "ssl_options.verify = verify_none"
      echo "ssl_options.fail_if_no_peer_cert = false"
    fi
  } >"$RMQ_DIR/rabbitmq.conf"
}

start() {
  [ -x "$SERVER" ] || fail "RabbitMQ is not installed (apt-get install -y rabbitmq-server)"
  command -v epmd >/dev/null || fail "epmd is missing (it comes with rabbitmq-server's Erlang)"
  running "$(recorded server)" && fail "already running from $RMQ_DIR (pid $(recorded server))"
  for p in "$RMQ_PORT" "$RMQ_DIST_PORT" $([ "$RMQ_TLS_PORT" != none ] && echo "$RMQ_TLS_PORT"); do
    listening "$p" && fail "port 127.0.0.1:$p is already in use"
  done
  write_config
  node_env
  rm -f "$RMQ_DIR/epmd.pid"
  # Our own epmd, recorded, so that `stop` can end it; erl would otherwise daemonize one that outlives
  # the broker. An epmd already on that port is used as it is and never stopped.
  if ! listening "$RMQ_EPMD_PORT"; then
    epmd -address 127.0.0.1 -port "$RMQ_EPMD_PORT" >"$RMQ_DIR/log/epmd.log" 2>&1 &
    echo $! >"$RMQ_DIR/epmd.pid"
    for _ in $(seq 50); do listening "$RMQ_EPMD_PORT" && break; sleep 0.1; done
  fi
  date +%s.%N >"$RMQ_DIR/started-at"
  # The server script in the foreground turns SIGTERM into a clean shutdown of the Erlang VM.
  "$SERVER" >"$RMQ_DIR/log/server.log" 2>&1 &
  echo $! >"$RMQ_DIR/server.pid"
  echo "rabbitmq: pid $(recorded server), amqp://127.0.0.1:$RMQ_PORT$([ "$RMQ_TLS_PORT" != none ] &&
    echo " amqps://localhost:$RMQ_TLS_PORT"), state $RMQ_DIR"
}

wait_ready() {
  local pid deadline
  pid=$(recorded server)
  deadline=$(($(date +%s) + RMQ_WAIT_S))
  until amqp10_answers "$RMQ_PORT"; do
    if ! running "$pid"; then
      tail -n 20 "$RMQ_DIR/log/server.log" >&2 || true
      fail "the server exited before it was ready (log: $RMQ_DIR/log/server.log)"
    fi
    [ "$(date +%s)" -lt "$deadline" ] || fail "not ready after ${RMQ_WAIT_S}s (log: $RMQ_DIR/log/server.log)"
    sleep 0.2
  done
  echo "rabbitmq: ready on 127.0.0.1:$RMQ_PORT after $(awk -v a="$(cat "$RMQ_DIR/started-at")" \
    -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
}

# stop_recorded NAME SECONDS: SIGTERM the recorded process, SIGKILL it (and its children, the Erlang VM
# under the server script) if it is still there after SECONDS.
stop_recorded() {
  local pid children
  pid=$(recorded "$1")
  if running "$pid"; then
    children=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
    kill -TERM "$pid"
    for _ in $(seq $(($2 * 10))); do running "$pid" || break; sleep 0.1; done
    if running "$pid"; then
      echo "rabbitmq: $1 ($pid) still running after ${2}s: SIGKILL" >&2
      for c in $children; do kill -KILL "$c" 2>/dev/null || true; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "rabbitmq: stopped $1 ($pid)"
  fi
  rm -f "$RMQ_DIR/$1.pid"
}

stop() {
  stop_recorded server 60
  stop_recorded epmd 5
}

status() {
  if running "$(recorded server)"; then
    echo "rabbitmq: running, pid $(recorded server), amqp://127.0.0.1:$RMQ_PORT"
  else
    echo "rabbitmq: not running"
    return 1
  fi
}

case "${1:-}" in
start) start ;;
wait) wait_ready ;;
stop) stop ;;
status) status ;;
ctl)
  shift
  node_env
  exec "$CTL" -n "$RMQ_NODE" "$@"
  ;;
clean)
  stop
  rm -rf "$RMQ_DIR"
  ;;
*)
  echo "usage: $0 start|wait|stop|status|ctl ARGS...|clean" >&2
  exit 2
  ;;
esac
