"""Time a day of the collection ladder shared by several workers, as the worker jobs share it.

    .venv/bin/python bench/workers.py -c .build/odoo.conf -d <bench database> --day 2026-06-16 --workers 2

On a database the benchmark left (``make bench``; copy it first with ``createdb -T``, the run
changes it): every company is set to N workers, its day is planned (``_collection_start``:
items that met or left the ladder, one queued part per worker), then N processes take the
parts at the same time (``_collection_work_queued``), as N cron threads would. Prints the wall
time from the planning to the last worker's end, and each part's figures.
"""

import argparse
import subprocess
import sys
import time
from datetime import date

import odoo
from odoo import SUPERUSER_ID, api


def environment(config, database):
    odoo.tools.config.parse_config(["-c", config, "-d", database])
    return odoo.modules.registry.Registry(database)


def work(config, database, day):
    """One worker: take the day's parts until none is left."""
    registry = environment(config, database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["account.collection.run"]._collection_work_queued(day, commit=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--day", required=True, type=date.fromisoformat)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.work:
        work(args.config, args.database, args.day)
        return
    registry = environment(args.config, args.database)
    started = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Run = env["account.collection.run"]
        companies = env["res.company"].search([])
        companies.write({"collection_run_workers": args.workers})
        cr.commit()
        for company in companies:
            Run.with_company(company)._collection_start(company, args.day, commit=True)
        cr.commit()
    planned = time.perf_counter()
    command = [sys.executable, __file__, "-c", args.config, "-d", args.database, "--day", str(args.day)]
    command.append("--work")
    workers = [subprocess.Popen(command) for _ in range(args.workers)]
    codes = [worker.wait() for worker in workers]
    done = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        runs = env["account.collection.run"].search(
            [("date", "=", args.day), ("shard_count", "=", args.workers)]
        )
        for run in runs.sorted(lambda r: (r.company_id.id, r.shard)):
            print(
                f"  {run.display_name}: {run.state}, {run.duration:.1f} s, {run.customer_count} customers, "
                f"{run.call_count} calls, {run.email_count} e-mails, {run.history_count} steps"
            )
    print(
        f"{args.workers} workers: planning {planned - started:.2f} s, parts {done - planned:.2f} s, "
        f"wall {done - started:.2f} s (exit codes {codes})"
    )


if __name__ == "__main__":
    main()
