#!/usr/bin/env bash
# A throwaway PostgreSQL for the storage tests: a fresh cluster in a temp folder, listening on
# 127.0.0.1 on a free port, owned by an unprivileged user (PostgreSQL refuses to run as root).
#
#   source scripts/postgres.sh
#   pg_start    # installs the Debian package if missing; exports VISAPATH_TEST_DATABASE_URL
#   pg_stop     # stops the server and removes the folder
#
# Run it directly to try it by hand: `bash scripts/postgres.sh` starts one, prints its URL,
# and stops it when you press Enter.

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then PG_BIN="$dir"; fi  # the newest version wins
  done
  [ -n "${PG_BIN:-}" ]
}

pg_install() {
  pg_bin && return 0
  echo "==> installing postgresql (storage tests run against a real server)"
  local sudo=""
  [ "$(id -u)" = "0" ] || sudo="sudo"
  $sudo apt-get update -qq \
    && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  pg_bin
}

# Run a PostgreSQL program as the cluster's owner: ourselves, or an unprivileged user when root.
pg_as_owner() {
  if [ "$(id -u)" = "0" ]; then
    (cd "$PG_DIR" && runuser -u "$PG_OWNER" -- "$@")
  else
    (cd "$PG_DIR" && "$@")
  fi
}

pg_start() {
  if ! pg_install; then
    echo "warning: PostgreSQL is not installed and could not be installed; storage tests will fail in CI" >&2
    return 1
  fi
  PG_OWNER="$(id -un)"
  if [ "$(id -u)" = "0" ]; then
    PG_OWNER=nobody
    id postgres >/dev/null 2>&1 && PG_OWNER=postgres  # the Debian package's own system user
  fi
  PG_DIR="$(mktemp -d /tmp/visapath-pg.XXXXXX)"
  [ "$(id -u)" = "0" ] && chown "$PG_OWNER" "$PG_DIR"
  PG_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  if ! pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U visapath --auth=trust -E UTF8 --locale=C.UTF-8 -N \
      >"$PG_DIR/initdb.log" 2>&1; then
    echo "warning: initdb failed:" >&2; cat "$PG_DIR/initdb.log" >&2
    return 1
  fi
  # fsync off: a throwaway cluster needs no durability, and the tests run faster on a busy disk.
  if ! pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c max_connections=200" start >/dev/null; then
    echo "warning: PostgreSQL did not start:" >&2; cat "$PG_DIR/server.log" >&2
    return 1
  fi
  export VISAPATH_TEST_DATABASE_URL="postgresql://visapath@127.0.0.1:$PG_PORT/postgres"
  echo "==> PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT (throwaway, $PG_DIR)"
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  if [ -f "$PG_DIR/data/postmaster.pid" ]; then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_DIR"
  PG_DIR=""
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  pg_start
  trap pg_stop EXIT
  echo "$VISAPATH_TEST_DATABASE_URL"
  read -r -p "Press Enter to stop it. " _ || true
fi
