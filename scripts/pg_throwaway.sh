#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for local tests and CI.
#
#   eval "$(scripts/pg_throwaway.sh start)"   # start a cluster, export CS_PG_* in this shell
#   scripts/pg_throwaway.sh env                # print the exports of the running cluster again
#   scripts/pg_throwaway.sh stop               # stop it and delete its data directory
#
# The cluster lives in a fresh temporary directory, listens on 127.0.0.1 only (its unix socket stays inside that
# directory), on the first free port from CS_PG_PORT_BASE (default 55432) upwards, trusts every local connection
# and runs with fsync, synchronous_commit and full_page_writes off: fast, and never to be used for data you care about.
#
# One cluster per state file: the exports go to stdout and to $CS_PG_STATE (default /tmp/customer_scoring_pg.env).
# `start` while that state file points at a live cluster prints its exports again instead of starting another one;
# for a second, independent cluster use another state file (CS_PG_STATE=/tmp/other.env scripts/pg_throwaway.sh start).
# `stop` without a cluster is a no-op.
#
# As root (CI), initdb and pg_ctl run as the OS user `postgres` (initdb refuses root); otherwise as the current user.
# When no server binaries are found and we are root on Debian/Ubuntu, postgresql-15 is installed with apt-get.
#
# Environment: CS_PG_STATE (state file), CS_PG_BIN (directory with initdb/pg_ctl), CS_PG_PORT_BASE (first port to
# try), CS_PG_BASEDIR (parent of the temporary directory, default /tmp), CS_PG_OS_USER (OS user to run the server as
# when root, default postgres).
set -euo pipefail

STATE="${CS_PG_STATE:-/tmp/customer_scoring_pg.env}"
PORT_BASE="${CS_PG_PORT_BASE:-55432}"
PARENT="${CS_PG_BASEDIR:-/tmp}"
OS_USER="${CS_PG_OS_USER:-postgres}"
DB_NAME=customer_scoring
DB_USER=postgres
MARKER=.cs_pg_throwaway # a file in every directory this script created; `stop` deletes nothing without it

log() { echo "pg_throwaway: $*" >&2; }
die() { log "error: $*"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a server-side command as the OS user that owns the cluster, from a directory that user can read.
as_owner() {
    if is_root; then
        (cd "$PARENT" && runuser -u "$OS_USER" -- "$@")
    else
        "$@"
    fi
}

find_bin() {
    local d
    if [ -n "${CS_PG_BIN:-}" ]; then
        [ -x "$CS_PG_BIN/initdb" ] || die "CS_PG_BIN=$CS_PG_BIN has no initdb"
        echo "$CS_PG_BIN"; return
    fi
    if [ -x /usr/lib/postgresql/15/bin/initdb ]; then echo /usr/lib/postgresql/15/bin; return; fi
    # Any other Debian-packaged major version, newest first.
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
        if [ -x "$d/initdb" ]; then echo "$d"; return; fi
    done
    if command -v pg_config >/dev/null 2>&1; then
        d="$(pg_config --bindir)"
        if [ -x "$d/initdb" ]; then echo "$d"; return; fi
    fi
    if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
    return 1
}

ensure_bin() {
    local bin
    if bin="$(find_bin)"; then echo "$bin"; return; fi
    if is_root && command -v apt-get >/dev/null 2>&1; then
        log "no PostgreSQL server binaries found; installing postgresql-15 with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq postgresql-15 >&2
        bin="$(find_bin)" || die "postgresql-15 installed but initdb still not found"
        echo "$bin"; return
    fi
    die "no PostgreSQL server binaries (initdb, pg_ctl) found; install postgresql-15 or set CS_PG_BIN"
}

# Value of KEY in the state file, parsed rather than sourced (the file lives in a world-writable directory).
state_get() {
    [ -f "$STATE" ] || return 0
    tr ' ' '\n' <"$STATE" | sed -n "s/^$1=//p" | tail -n 1
}

# True if DIR is a directory this script created (so removing it is safe).
ours() {
    local dir="$1"
    [ -n "$dir" ] && [ -d "$dir" ] && [ -f "$dir/$MARKER" ] && case "$(basename "$dir")" in cs_pg.*) true ;; *) false ;; esac
}

# True if a server is running on DATADIR and accepts connections on PORT.
running() {
    local datadir="$1" bin="$2" port="$3"
    [ -n "$datadir" ] && [ -f "$datadir/postmaster.pid" ] \
        && as_owner "$bin/pg_ctl" -D "$datadir" status >/dev/null 2>&1 \
        && "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 5 >/dev/null 2>&1
}

port_taken() {
    # Something already accepts connections there (bash's /dev/tcp); a bind failure at start is caught as well.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

cmd_stop() {
    local dir datadir bin pid
    if [ ! -f "$STATE" ]; then log "no state file $STATE: nothing to stop"; return 0; fi
    dir="$(state_get CS_PG_TMPDIR)"
    datadir="$(state_get CS_PG_DATADIR)"
    if ! ours "$dir"; then
        log "state file $STATE points at ${dir:-nothing} (gone or not created by this script); removing the state file"
        rm -f "$STATE"; return 0
    fi
    if [ -f "$datadir/postmaster.pid" ]; then
        bin="$(find_bin)" || die "cannot stop the cluster in $datadir: no pg_ctl found"
        if ! as_owner "$bin/pg_ctl" -D "$datadir" -m immediate -w -t 10 stop >/dev/null 2>&1; then
            # pg_ctl failed: if the postmaster we started is still alive, end it (its pid is in postmaster.pid).
            pid="$(head -n 1 "$datadir/postmaster.pid" 2>/dev/null || true)"
            if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                kill -QUIT "$pid" 2>/dev/null || true
                sleep 1
            fi
        fi
    fi
    rm -rf "$dir"
    rm -f "$STATE"
    log "stopped; removed $dir"
}

cmd_env() {
    local datadir bin
    [ -f "$STATE" ] || die "no cluster: state file $STATE does not exist (run: $0 start)"
    datadir="$(state_get CS_PG_DATADIR)"
    bin="$(find_bin)" || die "no pg_ctl found"
    running "$datadir" "$bin" "$(state_get CS_PG_PORT)" || die "the cluster in $STATE is not running (run: $0 stop; $0 start)"
    cat "$STATE"
}

cmd_start() {
    local port attempt exports tmp_state t0
    # bin, dir and datadir stay global: the EXIT trap below reads them.
    bin="$(ensure_bin)"
    if is_root && ! id -u "$OS_USER" >/dev/null 2>&1; then
        die "running as root but OS user '$OS_USER' does not exist (it comes with Debian's postgresql-common; or set CS_PG_OS_USER)"
    fi

    if [ -f "$STATE" ]; then
        datadir="$(state_get CS_PG_DATADIR)"
        if running "$datadir" "$bin" "$(state_get CS_PG_PORT)"; then
            log "a cluster from $STATE is already running; reusing it (use another CS_PG_STATE for a second one)"
            cat "$STATE"; return 0
        fi
        log "stale state file $STATE; cleaning up"
        cmd_stop
    fi

    mkdir -p "$PARENT"
    dir="$(mktemp -d "$PARENT/cs_pg.XXXXXXXX")"
    touch "$dir/$MARKER"
    datadir="$dir/data"
    # On any failure from here on, stop whatever we started and delete the directory.
    trap 'rc=$?; if [ $rc -ne 0 ]; then as_owner "$bin/pg_ctl" -D "$datadir" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; fi' EXIT
    if is_root; then chown "$OS_USER:" "$dir"; fi
    chmod 700 "$dir"

    t0="$(date +%s%N)"
    as_owner "$bin/initdb" -D "$datadir" -U "$DB_USER" -A trust -E UTF8 --locale=C --no-sync \
        --no-instructions >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    as_owner tee -a "$datadir/postgresql.conf" >/dev/null <<EOF

# pg_throwaway.sh: throwaway test cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = '1GB'
log_min_messages = warning
EOF
    as_owner tee "$datadir/pg_hba.conf" >/dev/null <<EOF
# pg_throwaway.sh: trust everything local; the server listens on 127.0.0.1 only
local all all trust
host  all all 127.0.0.1/32 trust
EOF

    port="$PORT_BASE"
    for attempt in $(seq 1 50); do
        while port_taken "$port"; do port=$((port + 1)); done
        if as_owner "$bin/pg_ctl" -D "$datadir" -l "$dir/server.log" -o "-p $port" -w -t 30 start >/dev/null 2>&1; then
            break
        fi
        if grep -qiE "could not bind|address already in use|could not create any TCP/IP sockets|lock file .* already exists" \
            "$dir/server.log" 2>/dev/null; then
            log "port $port is taken; trying the next one"
            port=$((port + 1)); : >"$dir/server.log"; continue
        fi
        cat "$dir/server.log" >&2 || true
        die "the server did not start"
    done
    running "$datadir" "$bin" "$port" || die "no free port found from $PORT_BASE"

    "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$DB_USER" "$DB_NAME" || die "createdb failed"

    exports="export CS_PG_HOST=127.0.0.1 CS_PG_PORT=$port CS_PG_USER=$DB_USER CS_PG_PASSWORD= CS_PG_DATABASE=$DB_NAME CS_PG_DATADIR=$datadir CS_PG_TMPDIR=$dir"
    tmp_state="$(mktemp "$(dirname "$STATE")/.cs_pg_state.XXXXXX")"
    echo "$exports" >"$tmp_state"
    chmod 644 "$tmp_state"
    mv -f "$tmp_state" "$STATE"
    trap - EXIT
    log "started PostgreSQL ($("$bin/postgres" --version | awk '{print $3}')) on 127.0.0.1:$port in $(( ($(date +%s%N) - t0) / 1000000 )) ms; data in $datadir; state in $STATE"
    echo "$exports"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    env) cmd_env ;;
    *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
