#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers at $PGHOST:$PGPORT (default
# 127.0.0.1:5432) with trust auth for user postgres. In order: use a running
# server; start the machine's cluster; as root, install PostgreSQL from the
# distribution and start it; without root, run a private cluster under .data/.
set -euo pipefail
host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
here=$(cd "$(dirname "$0")/.." && pwd)

ready() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$host" -p "$port" -t 2; }
wait_ready() { for _ in $(seq 1 60); do ready && return 0; sleep 0.5; done; return 1; }

if ready; then exit 0; fi

if [ "$(id -u)" = 0 ]; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "ensure-postgres: installing PostgreSQL" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql postgresql-client >/dev/null
    ver=$(ls /etc/postgresql | sort -V | tail -1)
    hba=/etc/postgresql/$ver/main/pg_hba.conf
    # A development and CI machine: trust local TCP connections, as the brief's machines do.
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
    sed -i -E 's/^(local\s+all\s+all\s+)\S+/\1trust/' "$hba"
    sed -i -E "s/^#?port = .*/port = $port/" /etc/postgresql/$ver/main/postgresql.conf
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  echo "ensure-postgres: starting cluster $ver/main" >&2
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  wait_ready && exit 0
  echo "ensure-postgres: PostgreSQL did not become ready at $host:$port" >&2
  exit 1
fi

# Not root: a private cluster owned by this user.
initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$initdb" ]; then
  echo "ensure-postgres: no PostgreSQL at $host:$port and none installed; install postgresql or set DATABASE_URL" >&2
  exit 1
fi
bindir=$(dirname "$initdb")
data="$here/.data/pg"
if [ ! -f "$data/PG_VERSION" ]; then
  mkdir -p "$data"
  "$bindir/initdb" -D "$data" -U postgres --auth=trust >/dev/null
fi
"$bindir/pg_ctl" -D "$data" -o "-p $port -k /tmp -c listen_addresses=$host" -l "$here/.data/pg.log" start >/dev/null
wait_ready
