#!/bin/sh
# A private RabbitMQ node for one test run: every file under DIR, its own ports and epmd, loopback
# only, no systemd, as root without the su wrappers. Uses three ports: PORT (AMQP), PORT+1
# (Erlang distribution), PORT+2 (epmd).
#
#   throwaway-rabbitmq.sh start DIR PORT      prints "pid=<beam pid> port=<PORT>" once the node is up
#   throwaway-rabbitmq.sh stop DIR            stops the node and its epmd (DIR stays; rm -rf it)
#   throwaway-rabbitmq.sh ctl DIR ARGS...     rabbitmqctl against the node
# Extra rabbitmq.conf lines: RMQ_EXTRA_CONF='consumer_timeout = 5000'.
set -eu
action=$1
dir=$(realpath -m "$2")

node_env() {
    port=$(cat "$dir/port")
    export HOME="$dir"
    export RABBITMQ_CONF_ENV_FILE="$dir/env.conf"
    export RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
    export RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
    export RABBITMQ_NODENAME="ccx$port@localhost"
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    export RABBITMQ_NODE_PORT="$port"
    export RABBITMQ_DIST_PORT=$((port + 1))
    export ERL_EPMD_PORT=$((port + 2))
    export ERL_EPMD_ADDRESS=127.0.0.1
    export RABBITMQ_MNESIA_BASE="$dir/mnesia"
    export RABBITMQ_LOG_BASE="$dir/log"
    export RABBITMQ_PID_FILE="$dir/node.pid"
    export RABBITMQ_PLUGINS_EXPAND_DIR="$dir/plugins"
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

case "$action" in
start)
    mkdir -p "$dir/mnesia" "$dir/log"
    echo "$3" > "$dir/port"
    : > "$dir/env.conf"
    {
        echo "listeners.tcp.default = 127.0.0.1:$3"
        echo "disk_free_limit.absolute = 50MB"
        echo "log.console = false"
        [ -z "${RMQ_EXTRA_CONF:-}" ] || printf '%s\n' "$RMQ_EXTRA_CONF"
    } > "$dir/rabbitmq.conf"
    echo '[].' > "$dir/enabled_plugins"
    echo '[].' > "$dir/advanced.config"
    node_env
    setsid /usr/lib/rabbitmq/bin/rabbitmq-server > "$dir/log/server.out" 2>&1 < /dev/null &
    echo $! > "$dir/session.pid"
    if ! /usr/lib/rabbitmq/bin/rabbitmqctl -q wait --timeout "${RMQ_START_TIMEOUT:-90}" "$RABBITMQ_PID_FILE" > /dev/null 2>&1; then
        echo "throwaway-rabbitmq: the node on port $port did not start; see $dir/log/" >&2
        kill -KILL -- "-$(cat "$dir/session.pid")" 2>/dev/null || true
        /usr/lib/erlang/bin/epmd -port "$ERL_EPMD_PORT" -kill > /dev/null 2>&1 || true
        exit 1
    fi
    echo "pid=$(cat "$RABBITMQ_PID_FILE") port=$port"
    ;;
stop)
    [ -f "$dir/port" ] || exit 0
    node_env
    /usr/lib/rabbitmq/bin/rabbitmqctl -q stop "$RABBITMQ_PID_FILE" > /dev/null 2>&1 || true
    # whatever is left of the session (a node that never finished booting)
    [ -f "$dir/session.pid" ] && kill -KILL -- "-$(cat "$dir/session.pid")" 2>/dev/null || true
    /usr/lib/erlang/bin/epmd -port "$ERL_EPMD_PORT" -kill > /dev/null 2>&1 || true
    ;;
ctl)
    shift 2
    node_env
    exec /usr/lib/rabbitmq/bin/rabbitmqctl "$@"
    ;;
*)
    echo "usage: $0 start DIR PORT | stop DIR | ctl DIR ARGS..." >&2
    exit 2
    ;;
esac
