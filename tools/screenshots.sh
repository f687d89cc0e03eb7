#!/usr/bin/env bash
# README screenshots from the demo: a demo database, an Odoo serving it on a spare port, and
# headless Chromium driven by tools/screenshots.py. Run `make setup` (or `make test`) first.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY="$ROOT/.venv/bin/python"
ODOO_SRC=${ODOO_SRC:-/opt/odoo/19.0}
CONF="$ROOT/.build/odoo.conf"
DB=${DB:-account_collections_screenshots}
PORT=${SCREENSHOT_PORT:-8070}
[ -x "$PY" ] && [ -f "$CONF" ] || { echo "Run 'make setup' first." >&2; exit 1; }
if [ "${FRESH:-1}" = 1 ] || ! psql -d "$DB" -Atqc "select 1" >/dev/null 2>&1; then
  dropdb --if-exists "$DB"
  "$PY" "$ODOO_SRC/odoo-bin" -c "$CONF" -d "$DB" -i account_collections --with-demo --stop-after-init \
    --log-level=warn --logfile=
fi
# The customer's collection page is public, opened by the signed link a reminder carries: sign
# one today for a demo customer with overdue and coming-due invoices.
COLLECTION_PAGE=$("$PY" "$ODOO_SRC/odoo-bin" shell -c "$CONF" -d "$DB" --log-level=warn --logfile= <<'SNIPPET' | tail -n 1
print(env["res.partner"].search([("name", "=", "Ural Steel")], limit=1)._collection_portal_path())
SNIPPET
)
"$PY" "$ODOO_SRC/odoo-bin" -c "$CONF" -d "$DB" --db-filter="^$DB\$" --http-port="$PORT" \
  --log-level=warn --logfile=/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$PORT/web/login" >/dev/null && break
  sleep 1
done
"$PY" "$ROOT/tools/screenshots.py" --url "http://127.0.0.1:$PORT" --db "$DB" --collection-page "$COLLECTION_PAGE"
