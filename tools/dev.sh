#!/usr/bin/env bash
# Developer entry point behind the Makefile: sets up Python, the Odoo source and
# PostgreSQL, then serves, tests, lints or benchmarks the addon.
#
#   tools/dev.sh setup | run | test | lint | bench [--size N] | test-odoo | shell
#
# Environment: ODOO_SRC (default /opt/odoo/19.0), PGHOST/PGPORT/PGUSER/PGPASSWORD,
# DB (demo database, default account_collections_demo), TEST_DB, HTTP_PORT (8069).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ADDON=account_collections
# The addon and its bridges to the optional apps (installed with the apps they need).
BRIDGES=$(cd "$(dirname "${BASH_SOURCE[0]}")/../bridges" && ls -d */ | tr -d / | paste -sd, -)
MODULES="$ADDON${BRIDGES:+,$BRIDGES}"
# The tests also install Odoo's demo payment provider: the pay-now tour pays with it.
TEST_MODULES="$MODULES,payment_demo"
BUILD="$ROOT/.build"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
ODOO_SRC=${ODOO_SRC:-/opt/odoo/19.0}
ODOO_BRANCH_URL=https://github.com/odoo/odoo.git
DB=${DB:-account_collections_demo}
TEST_DB=${TEST_DB:-account_collections_test}
HTTP_PORT=${HTTP_PORT:-8069}

say() { printf '\033[1m[%s]\033[0m %s\n' "$ADDON" "$*" >&2; }
die() { printf '\033[1;31m[%s] %s\033[0m\n' "$ADDON" "$*" >&2; exit 1; }

# --------------------------------------------------------------------------
# Odoo source
# --------------------------------------------------------------------------
ensure_odoo_src() {
  if [ -f "$ODOO_SRC/odoo/release.py" ] && [ -d "$ODOO_SRC/addons/account" ]; then
    return
  fi
  say "No Odoo 19.0 source at $ODOO_SRC; cloning the official 19.0 branch (shallow)."
  mkdir -p "$(dirname "$ODOO_SRC")" 2>/dev/null || true
  if ! git clone --quiet --depth 1 --branch 19.0 "$ODOO_BRANCH_URL" "$ODOO_SRC" 2>/dev/null; then
    rm -rf "$ODOO_SRC"
    die "Could not clone Odoo 19.0 (no network?): put an Odoo 19.0 community source tree at $ODOO_SRC or set ODOO_SRC to one, then re-run."
  fi
}

check_odoo_version() {
  local v
  v=$(sed -n 's/^version_info = (\([0-9]*\), \([0-9]*\).*/\1.\2/p' "$ODOO_SRC/odoo/release.py")
  [ "$v" = "19.0" ] || die "$ODOO_SRC holds Odoo $v, not 19.0: set ODOO_SRC to an Odoo 19.0 source tree."
}

# --------------------------------------------------------------------------
# Python virtualenv (re-created only when a requirements file changes)
# --------------------------------------------------------------------------
ensure_venv() {
  mkdir -p "$BUILD"
  # python-ldap (auth_ldap only) needs libldap headers this addon has no use for.
  grep -v '^python-ldap' "$ODOO_SRC/requirements.txt" > "$BUILD/odoo-requirements.txt"
  local stamp="$VENV/.requirements.sha" want
  want=$(cat "$BUILD/odoo-requirements.txt" "$ROOT/tools/requirements-dev.txt" \
              "$ROOT/tools/constraints.txt" | sha256sum | cut -d' ' -f1)
  if [ -x "$PY" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return
  fi
  command -v python3.11 >/dev/null || command -v python3 >/dev/null || die "Python 3.11 is required."
  local base_py
  base_py=$(command -v python3.11 || command -v python3)
  say "Creating the virtualenv in $VENV (first time only, a few minutes)."
  "$base_py" -m venv "$VENV"
  # PIP_CONSTRAINT also reaches pip's isolated build environments.
  PIP_CONSTRAINT="$ROOT/tools/constraints.txt" "$VENV/bin/pip" install --quiet \
      --disable-pip-version-check \
      -r "$BUILD/odoo-requirements.txt" -r "$ROOT/tools/requirements-dev.txt" \
    || die "pip could not install the requirements (see above)."
  echo "$want" > "$stamp"
}

# Odoo loads an addon by its directory name: expose the clone as account_collections, and
# each bridge of bridges/ (account_collections_sale, account_collections_stock) beside it.
ensure_addons_path() {
  mkdir -p "$BUILD/addons"
  ln -sfn "$ROOT" "$BUILD/addons/$ADDON"
  local bridge
  for bridge in "$ROOT"/bridges/*/; do
    ln -sfn "${bridge%/}" "$BUILD/addons/$(basename "$bridge")"
  done
  ADDONS_PATH="$BUILD/addons,$ODOO_SRC/addons,$ODOO_SRC/odoo/addons"
  # pytest and the benchmark import odoo from the venv: point it at the source tree.
  "$PY" -c 'import site, sys; open(site.getsitepackages()[0] + "/odoo-src.pth", "w").write(sys.argv[1] + "\n")' "$ODOO_SRC"
}

# --------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------
pg_ready() { psql -d postgres -Atqc 'select 1' >/dev/null 2>&1; }

ensure_postgres() {
  command -v psql >/dev/null || die "PostgreSQL client (psql) not found: install PostgreSQL >= 13 (Debian: apt install postgresql), or set PGHOST/PGPORT/PGUSER to a reachable server."
  if [ -n "${PGHOST:-}${PGPORT:-}" ]; then
    pg_ready || die "PostgreSQL at ${PGHOST:-local socket}:${PGPORT:-5432} does not accept connections as ${PGUSER:-$(id -un)}."
    return
  fi
  if pg_ready; then return; fi
  command -v pg_lsclusters >/dev/null \
    || die "PostgreSQL is not reachable and this is not a Debian-like install: start it yourself and set PGHOST/PGPORT/PGUSER."
  local cluster
  cluster=$(pg_lsclusters -h | sort -k1,1nr | head -n1)
  [ -n "$cluster" ] || die "PostgreSQL is installed but has no cluster: run 'pg_createcluster 15 main' (as root)."
  # shellcheck disable=SC2086
  set -- $cluster
  if [ "$4" != "online" ]; then
    say "Starting PostgreSQL cluster $1/$2."
    if [ "$(id -u)" = 0 ]; then
      pg_ctlcluster "$1" "$2" start || die "Could not start PostgreSQL cluster $1/$2."
    else
      sudo -n pg_ctlcluster "$1" "$2" start 2>/dev/null \
        || die "PostgreSQL cluster $1/$2 is stopped: run 'sudo pg_ctlcluster $1 $2 start'."
    fi
  fi
  for _ in $(seq 30); do
    psql_as_postgres -Atqc 'select 1' >/dev/null 2>&1 && break
    sleep 1
  done
  local me
  me=${PGUSER:-$(id -un)}
  if ! pg_ready; then
    say "Creating PostgreSQL login role '$me' (CREATEDB)."
    psql_as_postgres -qc "CREATE ROLE \"$me\" LOGIN CREATEDB" \
      || die "Could not create the PostgreSQL role '$me'."
  fi
  pg_ready || die "PostgreSQL is running but refuses the connection as '$me'."
}

psql_as_postgres() {
  if [ "$(id -un)" = postgres ]; then psql -d postgres "$@"
  elif [ "$(id -u)" = 0 ]; then runuser -u postgres -- psql -d postgres "$@"
  else sudo -n -u postgres psql -d postgres "$@"
  fi
}

# --------------------------------------------------------------------------
# wkhtmltopdf renders the PDF letters (Debian package); without it PDF tests skip.
# --------------------------------------------------------------------------
ensure_wkhtmltopdf() {
  command -v wkhtmltopdf >/dev/null && return
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    say "Installing wkhtmltopdf (Debian package) for PDF letters."
    apt-get install -y -q wkhtmltopdf >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q wkhtmltopdf >/dev/null 2>&1; } || true
  fi
  command -v wkhtmltopdf >/dev/null \
    || say "wkhtmltopdf is missing (apt install wkhtmltopdf): letters render as HTML only and the PDF test is skipped."
}

# The browser test (an Odoo tour) needs a headless Chromium.
ensure_chromium() {
  command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null \
    && return
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    say "Installing chromium (Debian packages chromium, chromium-driver) for the browser test."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 \
           && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; } || true
  fi
  command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null \
    || say "Chromium is missing (apt install chromium chromium-driver): the browser tour is skipped."
}

# libfaketime sets the clock of the test process (and the browser it starts) for the
# date-independence runs (test-dates).
ensure_faketime() {
  command -v faketime >/dev/null && return
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    say "Installing faketime (Debian package) for the runs on a weekend and a holiday."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q faketime >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 \
           && DEBIAN_FRONTEND=noninteractive apt-get install -y -q faketime >/dev/null 2>&1; } || true
  fi
  command -v faketime >/dev/null || die "faketime is missing (apt install faketime)."
}

# --------------------------------------------------------------------------
# Odoo helpers
# --------------------------------------------------------------------------
write_config() {
  CONF="$BUILD/odoo.conf"
  {
    echo "[options]"
    echo "addons_path = $ADDONS_PATH"
    echo "data_dir = $BUILD/data"
    echo "admin_passwd = admin"
    echo "http_interface = 127.0.0.1"
    echo "http_port = $HTTP_PORT"
    [ -n "${PGHOST:-}" ] && echo "db_host = $PGHOST"
    [ -n "${PGPORT:-}" ] && echo "db_port = $PGPORT"
    [ -n "${PGUSER:-}" ] && echo "db_user = $PGUSER"
    [ -n "${PGPASSWORD:-}" ] && echo "db_password = $PGPASSWORD"
    echo "list_db = False"
  } > "$CONF"
}

odoo() { "$PY" "$ODOO_SRC/odoo-bin" -c "$CONF" "$@"; }

db_exists() { [ "$(psql -d postgres -Atqc "select 1 from pg_database where datname = '$1'")" = 1 ]; }

module_installed() {
  [ "$(psql -d "$1" -Atqc "select 1 from ir_module_module where name = '$ADDON' and state = 'installed'" 2>/dev/null)" = 1 ]
}

setup() {
  ensure_odoo_src
  check_odoo_version
  ensure_venv
  ensure_addons_path
  ensure_postgres
  ensure_wkhtmltopdf
  ensure_chromium
  write_config
}

# Install the addon into a fresh database; Odoo logs errors but exits 0, so grep the log.
install_fresh_db() {
  local db=$1; shift
  dropdb --if-exists "$db"
  local log="$BUILD/install-$db.log"
  say "Installing $MODULES into a fresh database '$db'."
  odoo -d "$db" -i "$MODULES" --stop-after-init --log-level=warn --logfile= "$@" 2>&1 | tee "$log" >&2 || true
  if grep -qE ' (ERROR|CRITICAL) ' "$log" || ! module_installed "$db"; then
    die "Installing $ADDON into '$db' failed (log: $log)."
  fi
  # A fresh database has no planner statistics until autovacuum gets to it: without them,
  # some of Odoo's accounting queries pick plans that take minutes. Same plans every run.
  PGOPTIONS="-c client_min_messages=error" psql -d "$db" -qc "ANALYZE"
}

# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------
cmd_run() {
  setup
  if ! db_exists "$DB" || ! module_installed "$DB"; then
    # The demo serves Sales and Inventory too, with their bridges.
    MODULES="$MODULES,sale_management,stock" install_fresh_db "$DB" --with-demo
  else
    say "Updating $MODULES in '$DB'."
    odoo -d "$DB" -u "$MODULES" --stop-after-init --log-level=warn
  fi
  say "Odoo is starting on http://127.0.0.1:$HTTP_PORT (login admin / admin); Ctrl-C stops it."
  exec "$PY" "$ODOO_SRC/odoo-bin" -c "$CONF" -d "$DB" --db-filter="^$DB\$"
}

cmd_lint() {
  [ -x "$VENV/bin/ruff" ] || ensure_venv
  say "ruff"
  "$VENV/bin/ruff" check "$ROOT"
  "$VENV/bin/ruff" format --check "$ROOT"
  say "pylint-odoo"
  (cd "$ROOT" && "$VENV/bin/pylint" --rcfile="$ROOT/.pylintrc" --disable=missing-readme . bridges/*/)
}

# The tests of the addon and of its bridges.
test_paths() {
  TEST_PATHS=("$BUILD/addons/$ADDON/tests")
  local module
  for module in ${BRIDGES//,/ }; do TEST_PATHS+=("$BUILD/addons/$module/tests"); done
}

cmd_test() {
  setup
  test_paths
  cmd_lint
  MODULES=$TEST_MODULES install_fresh_db "$TEST_DB"
  say "Running the tests (pytest-odoo)."
  # Collect through the symlink so pytest-odoo names the package account_collections.
  # --odoo-http serves Odoo in the test process, for the browser tour (HttpCase).
  local explicit=$#
  [ $# -gt 0 ] || set -- "${TEST_PATHS[@]}"
  "$VENV/bin/pytest" --odoo-config="$CONF" --odoo-database="$TEST_DB" --odoo-http \
      --rootdir="$BUILD/addons/$ADDON" -p no:cacheprovider --durations=5 "$@"
  [ "$explicit" -eq 0 ] || return 0
  check_uninstall_reinstall "$TEST_DB"
}

# The suite with the clock set to the next Saturday and to the next public holiday of the
# test calendar (25 December, tests/common.py) that falls on a weekday: no test may depend
# on the day it runs. Only the test process is faked (and the browser it starts);
# PostgreSQL keeps the real clock, so SQL that reads CURRENT_DATE fails here.
cmd_test_dates() {
  setup
  ensure_faketime
  MODULES=$TEST_MODULES install_fresh_db "$TEST_DB"
  local day
  test_paths
  for day in $("$PY" "$ROOT/tools/test_dates.py"); do
    [ "$(faketime -f "@$day 09:00:00" "$PY" -c 'import datetime; print(datetime.date.today())')" = "$day" ] \
      || die "faketime does not set the clock of Python here."
    say "Running the tests with the clock set to $day ($(date -d "$day" +%A))."
    faketime -f "@$day 09:00:00" "$VENV/bin/pytest" --odoo-config="$CONF" --odoo-database="$TEST_DB" \
        --odoo-http --rootdir="$BUILD/addons/$ADDON" -p no:cacheprovider "${TEST_PATHS[@]}" \
      || die "The tests fail when run on $day."
  done
}

# Odoo's own runner, as runbot and OCA CI run the tests (every module of tests/ imported).
cmd_test_runner() {
  setup
  local db="${TEST_DB}_runner" log="$BUILD/test-runner.log"
  dropdb --if-exists "$db"
  say "Running the tests through odoo-bin --test-enable (database '$db', log $log)."
  odoo -d "$db" -i "$TEST_MODULES" --test-enable --test-tags "/${MODULES//,/,/}" --stop-after-init --log-level=test \
    --logfile= > "$log" 2>&1 || true
  local counts
  counts=$(odoo_test_counts "$log")
  [ -n "$counts" ] || { tail -30 "$log" >&2; die "No test summary in $log: the run did not complete."; }
  local -a c=($counts)
  say "odoo-bin: ${c[2]} tests, ${c[0]} failed, ${c[1]} errors."
  if [ "${c[0]}" != 0 ] || [ "${c[1]}" != 0 ] || grep -qE ' (ERROR|CRITICAL) ' "$log"; then
    grep -E ' (ERROR|CRITICAL|FAIL) ' "$log" | head -40 >&2
    die "The tests fail under odoo-bin (see $log)."
  fi
  [ "${c[2]}" -gt 0 ] || die "odoo-bin ran no test of $ADDON."
}

# The addon must leave nothing behind and come back cleanly.
check_uninstall_reinstall() {
  local db=$1 log="$BUILD/reinstall-$1.log"
  say "Uninstalling $ADDON from '$db' and checking for leftovers."
  "$PY" "$ODOO_SRC/odoo-bin" shell -c "$CONF" -d "$db" --log-level=warn --no-http < "$ROOT/tools/check_uninstall.py" \
    || die "Uninstalling $ADDON left something behind (see above)."
  say "Reinstalling $MODULES into '$db'."
  odoo -d "$db" -i "$MODULES" --stop-after-init --log-level=warn --logfile= 2>&1 | tee "$log" >&2 || true
  if grep -qE ' (ERROR|CRITICAL) ' "$log" || ! module_installed "$db"; then
    die "Reinstalling $ADDON into '$db' failed (log: $log)."
  fi
  say "Uninstall and reinstall: clean."
}

# Benchmark in its own database: fresh install, generated data, timed runs (bench/bench.py).
cmd_bench() {
  local size=2000 extra=() reuse=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --size) size=$2; shift 2 ;;
      --size=*) size=${1#--size=}; shift ;;
      --profile) extra+=(--profile); shift ;;
      --reuse) extra+=(--reuse); reuse=1; shift ;;
      *) die "unknown bench option: $1" ;;
    esac
  done
  setup
  local db="${BENCH_DB:-account_collections_bench}"
  # The addon alone: its targets are measured without the optional apps and their bridges.
  [ "$reuse" = 1 ] || MODULES=$ADDON install_fresh_db "$db"
  "$PY" "$ROOT/bench/bench.py" -c "$CONF" -d "$db" --size "$size" "${extra[@]}"
}

# Regenerate i18n/account_collections.pot from a database with the addon installed.
cmd_pot() {
  setup
  module_installed "$TEST_DB" || install_fresh_db "$TEST_DB"
  mkdir -p "$ROOT/i18n"
  # Export from a clean copy of the tracked files: term extraction walks the whole module
  # directory, and .venv holds thousands of Python files.
  local clean="$BUILD/pot/addons"
  rm -rf "$clean" && mkdir -p "$clean/$ADDON"
  (cd "$ROOT" && git ls-files -z -- . ':!bridges' | xargs -0 tar -cf - | tar -xf - -C "$clean/$ADDON")
  local module
  for module in ${BRIDGES//,/ }; do
    mkdir -p "$clean/$module"
    (cd "$ROOT/bridges/$module" && git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$clean/$module")
  done
  sed "s|^addons_path = .*|addons_path = $clean,$ODOO_SRC/addons,$ODOO_SRC/odoo/addons|" "$CONF" > "$BUILD/pot.conf"
  "$PY" "$ODOO_SRC/odoo-bin" i18n export -c "$BUILD/pot.conf" -d "$TEST_DB" -o "$ROOT/i18n/$ADDON.pot" "$ADDON"
  say "Wrote i18n/$ADDON.pot"
  for module in ${BRIDGES//,/ }; do
    "$PY" "$ODOO_SRC/odoo-bin" i18n export -c "$BUILD/pot.conf" -d "$TEST_DB" \
        -o "$ROOT/bridges/$module/i18n/$module.pot" "$module"
    say "Wrote bridges/$module/i18n/$module.pot"
  done
}

# Odoo's own accounting tests, run once without and once with the addon installed.
ODOO_ACCOUNT_TESTS=(
  TestAccountMoveOutInvoiceOnchanges   # invoice creation and posting
  TestAccountMoveOutRefundOnchanges    # credit notes
  TestAccountPaymentRegister           # payment registration
  TestAccountMoveReconcile             # reconciliation
)

# Prints "<failed> <errors> <tests>" from an Odoo test log.
odoo_test_counts() {
  grep -oE '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$1" | tail -1 \
    | sed -E 's/([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests/\1 \2 \3/'
}

cmd_test_odoo() {
  setup
  local tags="" class
  for class in "${ODOO_ACCOUNT_TESTS[@]}"; do tags+="${tags:+,}/account:$class"; done
  local -A counts
  local run module db log
  for run in without with; do
    module=account; [ "$run" = with ] && module=$ADDON
    db="${TEST_DB}_odoo_$run"; log="$BUILD/test-odoo-$run.log"
    dropdb --if-exists "$db"
    say "Odoo's account tests $run $ADDON (database '$db', log $log)."
    odoo -d "$db" -i "$module" --test-enable --test-tags "$tags" --stop-after-init --log-level=test \
      --logfile= > "$log" 2>&1 || true
    counts[$run]=$(odoo_test_counts "$log")
    [ -n "${counts[$run]}" ] || die "No test summary in $log: the run did not complete."
  done
  local -a without=(${counts[without]}) with=(${counts[with]})
  printf '\n%-26s %8s %8s %8s\n' "Odoo account tests" tests failed errors
  printf '%-26s %8s %8s %8s\n' "without $ADDON" "${without[2]}" "${without[0]}" "${without[1]}"
  printf '%-26s %8s %8s %8s\n' "with $ADDON" "${with[2]}" "${with[0]}" "${with[1]}"
  if [ "${counts[with]}" != "${counts[without]}" ]; then
    die "The addon changes the outcome of Odoo's own account tests (see $BUILD/test-odoo-with.log)."
  fi
  [ "${with[0]}" = 0 ] && [ "${with[1]}" = 0 ] || die "Odoo's account tests fail (also without the addon)."
  say "Same results with and without $ADDON."
}

cmd_shell() {
  setup
  exec "$PY" "$ODOO_SRC/odoo-bin" shell -c "$CONF" -d "${1:-$DB}"
}

main() {
  local cmd=${1:-}
  shift || true
  case "$cmd" in
    setup) setup ;;
    run) cmd_run "$@" ;;
    test) cmd_test "$@" ;;
    test-dates) cmd_test_dates ;;
    test-runner) cmd_test_runner ;;
    lint) cmd_lint ;;
    bench) cmd_bench "$@" ;;
    pot) cmd_pot ;;
    test-odoo) cmd_test_odoo ;;
    shell) cmd_shell "$@" ;;
    *) die "usage: tools/dev.sh setup|run|test|test-dates|test-runner|lint|bench [--size N]|test-odoo|shell" ;;
  esac
}

main "$@"
