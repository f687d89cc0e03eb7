#!/usr/bin/env bash
# The daily run as Odoo's own cron workers run it: a copy of a bench database (built with
# BENCH_BUILD_ONLY=1 make bench ...), the company set to WORKERS parts, every other scheduled
# job paused, then `odoo-bin --workers=2 --max-cron-threads=2` starts the ladder's job at once.
# Prints when each part ran and checks that no customer took the same step twice.
#
#   bash bench/cron_workers.sh <bench database> [WORKERS]
#
# Odoo's default limits (60 s of CPU, 120 s in all, per job) stop a worker whose part of a
# first run at 50,000 items takes longer: another worker then takes that part up again. The
# benchmark raises them (CRON_LIMIT_CPU, CRON_LIMIT_REAL) to time one worker doing it all.
#
# CRON_DATE=2026-06-15 runs the server under libfaketime (Debian package faketime) on that
# day: the bench's data is laid out around it, and on a weekend or holiday nothing would run.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SOURCE=$1
WORKERS=${2:-2}
DB="${SOURCE}_cron${WORKERS}"
PORT=${CRON_PORT:-8075}
dropdb --if-exists "$DB"
createdb -T "$SOURCE" "$DB"
psql -d "$DB" -q <<SQL
UPDATE res_company SET collection_run_workers = $WORKERS;
UPDATE ir_cron SET active = FALSE;
UPDATE ir_cron SET active = TRUE, nextcall = now() AT TIME ZONE 'UTC' - interval '1 minute',
                   interval_number = 12, interval_type = 'months'
 WHERE id = (SELECT res_id FROM ir_model_data
              WHERE module = 'account_collections' AND name = 'ir_cron_collection_ladder');
UPDATE ir_cron SET active = TRUE, nextcall = now() AT TIME ZONE 'UTC' + interval '1 day'
 WHERE id IN (SELECT res_id FROM ir_model_data
               WHERE module = 'account_collections' AND name LIKE 'ir_cron_collection_ladder_worker_%');
SQL
# Parts of this day only: a copy taken after a first run holds that run's records.
before=$(psql -d "$DB" -Atc "SELECT COALESCE(MAX(id), 0) FROM account_collection_run")
: >"/tmp/$DB.log"
fake=()
[ -n "${CRON_DATE:-}" ] && fake=(faketime -f "@$CRON_DATE 08:00:00")
"${fake[@]}" "$ROOT/.venv/bin/python" "${ODOO_SRC:-/opt/odoo/19.0}/odoo-bin" -c "$ROOT/.build/odoo.conf" -d "$DB" --db-filter="^$DB\$" \
  --workers=2 --max-cron-threads=2 --http-port="$PORT" --log-level=warn --log-handler=odoo.addons.base.models.ir_cron:INFO --logfile="/tmp/$DB.log" \
  --limit-time-cpu="${CRON_LIMIT_CPU:-600}" --limit-time-real="${CRON_LIMIT_REAL:-1200}" \
  >>"/tmp/$DB.log" 2>&1 &
# faketime runs the server as its child: stop the server by its command line, with its workers.
trap 'pkill -f -- "--db-filter=.$DB[$]" || true' EXIT
expected=$(psql -d "$DB" -Atc "SELECT COUNT(*) * $WORKERS FROM res_company")
# The day's parts are the first records made. Under faketime the job's next call is counted from
# the faked day, in PostgreSQL's past: the job would start again at once and take parts
# (hence its interval of a year above); should it still, its records are not timed.
parts="SELECT id FROM account_collection_run WHERE id > $before ORDER BY id LIMIT $expected"
for _ in $(seq 1 600); do
  done=$(psql -d "$DB" -Atc "SELECT COUNT(*) FROM account_collection_run
                              WHERE id IN ($parts) AND state IN ('done', 'failed')")
  [ "$done" -ge "$expected" ] && break
  sleep 1
done
psql -d "$DB" -c "
SELECT company_id, shard || '/' || shard_count AS part, state, started_at,
       round(duration::numeric, 1) AS seconds, customer_count, history_count
  FROM account_collection_run WHERE id IN ($parts) ORDER BY started_at"
psql -d "$DB" -Atc "
SELECT 'wall seconds, first start to last end: '
       || round(EXTRACT(EPOCH FROM MAX(started_at + duration * interval '1 second') - MIN(started_at))::numeric, 1)
  FROM account_collection_run WHERE id IN ($parts)"
# The daily job plans the day (items that met or left the ladder, one part per worker) before
# the first part starts, and a part's start is kept to the second: the wall time that counts
# runs from the daily job's start to the last worker job's end, as the server logged them (the
# faked clock too).
ladder_jobs() { grep -E "follow-up ladder(, worker [0-9])?' \([0-9]+\) $1" "/tmp/$DB.log" | cut -c1-23 | tr , .; }
for _ in $(seq 1 20); do  # the jobs log their end just after their last commit
  [ "$(ladder_jobs '(fully|partially) done' | wc -l)" -ge "$(ladder_jobs starting | wc -l)" ] && break
  sleep 0.5
done
start=$(ladder_jobs starting | head -1)
end=$(ladder_jobs "(fully|partially) done" | tail -1)
[ -n "$start" ] && [ -n "$end" ] && psql -d "$DB" -Atc "
SELECT 'wall seconds, the daily job start to the last worker job end: '
       || round(EXTRACT(EPOCH FROM '$end'::timestamp - '$start'::timestamp)::numeric, 2)"
psql -d "$DB" -Atc "
SELECT 'customers with the same step twice the same day: ' || COUNT(*)
  FROM (SELECT 1 FROM account_collection_history
         GROUP BY partner_id, level_id, date HAVING COUNT(*) > 1) twice"
