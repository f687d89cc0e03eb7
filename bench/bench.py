"""Benchmark the collection ladder's daily run at scale.

    bash tools/dev.sh bench --size 2000        (or: make bench SIZE=10000)

Builds, in its own database, N = M / 10 customers and M posted customer invoices (due dates
spread from 120 days overdue to 30 days ahead, 10% partially paid, two currencies, two
companies) with the same helpers as the tests, then times the daily run and the other hot
paths and prints a table: wall seconds, SQL queries, peak memory of the process.
"""

import argparse
import cProfile
import os
import pstats
import random
import threading
import time
from contextlib import contextmanager
from datetime import date, timedelta

import psutil

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.tools import SQL, split_every

TODAY = date(2026, 6, 15)  # a Monday; the data is laid out around it
BATCH = 1000


class Peak:
    """Peak resident memory of this process while a block runs (sampled every 20 ms)."""

    def __init__(self):
        self.process = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.02)

    def __enter__(self):
        self.peak = self.process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


ROWS = []
PROFILE = False
TOP_QUERIES = int(os.environ.get("BENCH_TOP_QUERIES", 12))


@contextmanager
def query_profile(env, label):
    """With --profile: print the most frequent query shapes of a block (to find N+1s) and
    the functions where its Python time goes (cProfile, by own time)."""
    if not PROFILE:
        yield
        return
    import collections  # noqa: PLC0415
    import cProfile  # noqa: PLC0415
    import io  # noqa: PLC0415
    import pstats  # noqa: PLC0415
    import re  # noqa: PLC0415
    import traceback  # noqa: PLC0415

    shapes, durations, origins = collections.Counter(), collections.Counter(), {}
    cursor = env.cr
    original = type(cursor).execute

    def execute(self, query, params=None, log_exceptions=True):
        shape = re.sub(r"\s+", " ", str(getattr(query, "code", query)))[:110]
        shapes[shape] += 1
        if shape not in origins or shapes[shape] == 3:
            origins[shape] = [
                f for f in traceback.extract_stack(limit=40) if "account_collections" in f.filename
            ][-4:]
        started = time.perf_counter()
        try:
            return original(self, query, params, log_exceptions)
        finally:
            durations[shape] += time.perf_counter() - started

    type(cursor).execute = execute
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        type(cursor).execute = original
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        stats.sort_stats("tottime").print_stats(15)
        ours = "account_collections|mail_render|mail_template|_create"
        stats.sort_stats("cumulative").print_stats(ours, 25)
        print(f"  -- Python time of {label} (cProfile: top 15 by own time, then ours by cumulative time)")
        print("\n".join(line for line in stream.getvalue().splitlines() if line.strip())[:9000])
        for title, ranking in (("most frequent", shapes), ("slowest in total", durations)):
            print(f"  -- {title} queries of {label}: count, seconds, query, call site")
            for shape, _ in ranking.most_common(TOP_QUERIES):
                where = "; ".join(f"{f.name}:{f.lineno}" for f in origins.get(shape, []))
                print(f"  {shapes[shape]:6d} {durations[shape]:6.2f}  {shape}  [{where}]")


@contextmanager
def measure(env, label, per=None):
    """Time a block and count its SQL queries; `per` is (count, unit) for a ratio column."""
    env.flush_all()
    queries = env.cr.sql_log_count
    start = time.perf_counter()
    extra = {}
    with Peak() as peak, query_profile(env, label):
        yield extra
        env.flush_all()
    row = {
        "step": label,
        "seconds": time.perf_counter() - start,
        "queries": env.cr.sql_log_count - queries,
        "peak_mb": peak.peak / 2**20,
        **extra,
    }
    if per:
        row["ratio"] = f"{per[0] / max(row['queries'], 1):.0f} {per[1]}/query"
    ROWS.append(row)
    print(f"  {label}: {row['seconds']:.2f} s, {row['queries']} queries", flush=True)


def build(env, size, seed=42):
    """Customers, invoices (a fifth of them in two instalments), partial payments, open credit
    notes and payments not yet matched, over two companies and two currencies."""
    # Imported here: odoo.addons only knows this addon once the configuration is parsed.
    from odoo.addons.account_collections.tests.common import prepare_invoice_vals  # noqa: PLC0415

    rng = random.Random(seed)
    main = env.ref("base.main_company")
    second = env["res.company"].search([("name", "=", "Bench Second Co")], limit=1) or env[
        "res.company"
    ].create({"name": "Bench Second Co", "currency_id": main.currency_id.id})
    if not env["account.journal"].search([("company_id", "=", second.id), ("type", "=", "sale")], limit=1):
        env["account.chart.template"].try_loading("generic_coa", second, install_demo=False)
    for company in (main, second):
        # Payments need an outstanding account to post entries that reconcile with invoices.
        outstanding = (
            env["account.chart.template"]
            .with_company(company)
            .ref("account_journal_payment_debit_account_id")
        )
        journals = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")])
        journals.inbound_payment_method_line_ids.filtered(
            lambda line: not line.payment_account_id
        ).payment_account_id = outstanding
    second.sudo().collection_ladder_id = env.ref(
        "account_collections.account_collection_ladder_default"
    ).copy({"company_id": second.id, "name": "Second company ladder"})
    eur = env.ref("base.EUR")
    eur.active = True
    for company in (main, second):
        env["res.currency.rate"].create(
            {"currency_id": eur.id, "name": "2026-01-01", "rate": 0.9, "company_id": company.id}
        )
    customers = env["res.partner"].create(
        [
            {
                "name": f"Bench customer {i}",
                "is_company": True,
                "email": f"ap{i}@bench.example" if i % 20 else False,
            }
            for i in range(size // 10)
        ]
    )
    moves = env["account.move"]
    for company, share in ((main, 0.7), (second, 0.3)):
        count = int(size * share)
        Move = env["account.move"].with_company(company)
        # Half on the invoice date, half 30 days later (the invoice's due date).
        instalments = env["account.payment.term"].create(
            {
                "name": "Bench 50/50",
                "company_id": company.id,
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 0}),
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 30}),
                ],
            }
        )
        for chunk in split_every(BATCH, range(count)):
            vals = []
            for _ in chunk:
                due = TODAY + timedelta(days=rng.randint(-120, 30))
                invoice = prepare_invoice_vals(
                    rng.choice(customers),
                    rng.randint(100, 5000),
                    due,
                    invoice_date=due - timedelta(days=30),
                    currency=eur if rng.random() < 0.2 else None,
                )
                if rng.random() < 0.2:
                    del invoice["invoice_date_due"]
                    invoice["invoice_payment_term_id"] = instalments.id
                vals.append(invoice)
            created = Move.create(vals)
            created.action_post()
            moves |= created
            env.cr.commit()
            env.invalidate_all()
        print(f"  {company.name}: {count} invoices", flush=True)
    partial = moves.browse(rng.sample(moves.ids, len(moves) // 10))
    pay_partially(env, partial)
    print(f"  {len(partial)} invoices partially paid", flush=True)
    add_credits(env, rng, customers, (main, second), size // 50)
    print(f"  {size // 50} open credit notes and as many payments not yet matched", flush=True)
    return main, second


# Above this size the benchmark builds TEMPLATE invoices with the ORM and copies them in SQL.
TEMPLATE = 10000


def clone(env, size):
    """Copies of the bench customers and of their invoices no payment touches, in SQL, until
    about `size` invoices: the ORM builds 10,000 invoices in minutes, and 200,000 would take
    hours. Each copy has its own customers ("... #n") and invoices (numbered ".../n"), with the
    same dates, amounts and currencies; nothing else refers to them (no payment, no tax)."""
    cr = env.cr
    env.flush_all()
    cr.execute("SELECT id FROM res_partner WHERE name LIKE 'Bench customer %%' ORDER BY id")
    partner_ids = [row[0] for row in cr.fetchall()]
    cr.execute(
        """
        SELECT move.id FROM account_move move
         WHERE move.move_type = 'out_invoice' AND move.state = 'posted' AND move.partner_id = ANY(%s)
           AND NOT EXISTS (SELECT 1 FROM account_move_line line
                             JOIN account_partial_reconcile part
                               ON line.id IN (part.debit_move_id, part.credit_move_id)
                            WHERE line.move_id = move.id)
        """,
        [partner_ids],
    )
    move_ids = [row[0] for row in cr.fetchall()]
    copies = max(0, round((size - TEMPLATE) / len(move_ids)))

    def columns(table):
        cr.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s AND column_name != 'id'",
            [table],
        )
        return [row[0] for row in cr.fetchall()]

    def copy(table, alias, new_id, joins, overrides):
        """INSERT INTO table: the rows of `joins`, with their new id and these columns changed."""
        names = columns(table)
        cr.execute(
            SQL(
                "INSERT INTO %s (id, %s) SELECT %s, %s %s",
                SQL.identifier(table),
                SQL(", ").join(SQL.identifier(name) for name in names),
                new_id,
                SQL(", ").join(overrides.get(name) or SQL.identifier(alias, name) for name in names),
                joins,
            )
        )

    for n in range(1, copies + 1):
        cr.execute(
            "CREATE TEMP TABLE pmap AS SELECT id AS old, nextval('res_partner_id_seq') AS new "
            "FROM res_partner WHERE id = ANY(%s)",
            [partner_ids],
        )
        cr.execute(
            "CREATE TEMP TABLE mmap AS SELECT id AS old, nextval('account_move_id_seq') AS new "
            "FROM account_move WHERE id = ANY(%s)",
            [move_ids],
        )
        # Items keep their ids in a map too: a position's id is its item's.
        cr.execute(
            "CREATE TEMP TABLE lmap AS SELECT id AS old, nextval('account_move_line_id_seq') AS new "
            "FROM account_move_line WHERE move_id = ANY(%s)",
            [move_ids],
        )
        copy(
            "res_partner",
            "p",
            SQL("pmap.new"),
            SQL("FROM res_partner p JOIN pmap ON pmap.old = p.id"),
            {
                "name": SQL("p.name || %s", f" #{n}"),
                "complete_name": SQL("p.complete_name || %s", f" #{n}"),
                "commercial_partner_id": SQL("pmap.new"),
            },
        )
        copy(
            "account_move",
            "m",
            SQL("mmap.new"),
            SQL("FROM account_move m JOIN mmap ON mmap.old = m.id JOIN pmap ON pmap.old = m.partner_id"),
            {
                "name": SQL("m.name || %s", f"/{n}"),
                "payment_reference": SQL("m.payment_reference || %s", f"/{n}"),
                "sequence_prefix": SQL("m.sequence_prefix || %s", f"C{n}/"),
                "partner_id": SQL("pmap.new"),
                "commercial_partner_id": SQL("pmap.new"),
                "partner_shipping_id": SQL("pmap.new"),
                "access_token": SQL("NULL"),
                # Pointed at the copies' positions once they exist (below).
                "collection_top_item_id": SQL("NULL"),
                "collection_step_item_id": SQL("NULL"),
            },
        )
        copy(
            "account_collection_item",
            "i",
            SQL("lmap.new"),
            SQL(
                "FROM account_collection_item i JOIN lmap ON lmap.old = i.id "
                "JOIN mmap ON mmap.old = i.move_id"
            ),
            {"move_id": SQL("mmap.new")},
        )
        copy(
            "account_move_line",
            "l",
            SQL("lmap.new"),
            SQL(
                "FROM account_move_line l JOIN mmap ON mmap.old = l.move_id JOIN lmap ON lmap.old = l.id "
                "LEFT JOIN pmap ON pmap.old = l.partner_id"
            ),
            {
                "move_id": SQL("mmap.new"),
                "move_name": SQL("l.move_name || %s", f"/{n}"),
                "partner_id": SQL("COALESCE(pmap.new, l.partner_id)"),
                "collection_item_id": SQL("CASE WHEN l.collection_item_id IS NOT NULL THEN lmap.new END"),
            },
        )
        cr.execute("SELECT new FROM mmap")
        env["account.move"]._collection_derive_from_items([row[0] for row in cr.fetchall()])
        cr.execute("DROP TABLE pmap; DROP TABLE mmap; DROP TABLE lmap")
        cr.commit()
    cr.execute("ANALYZE")
    env.invalidate_all()
    env.registry.clear_cache()
    print(f"  {copies} copies of {len(partner_ids)} customers and {len(move_ids)} invoices", flush=True)


def add_credits(env, rng, customers, companies, count):
    """Open credit notes and payments received but not matched (one bank entry per company):
    what the run deducts from what customers owe."""
    from odoo.addons.account_collections.tests.common import prepare_invoice_vals  # noqa: PLC0415

    for company in companies:
        share = count // len(companies)
        refunds = (
            env["account.move"]
            .with_company(company)
            .create(
                [
                    prepare_invoice_vals(
                        rng.choice(customers),
                        rng.randint(50, 1500),
                        TODAY - timedelta(days=rng.randint(1, 60)),
                        move_type="out_refund",
                    )
                    for _ in range(share)
                ]
            )
        )
        refunds.action_post()
        journal = env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "bank")], limit=1
        )
        receivable = env["account.account"].search(
            [("company_ids", "in", company.id), ("account_type", "=", "asset_receivable")], limit=1
        )
        amounts = [rng.randint(100, 3000) for _ in range(share)]
        lines = [
            Command.create(
                {"account_id": receivable.id, "partner_id": rng.choice(customers).id, "balance": -amount}
            )
            for amount in amounts
        ]
        lines.append(Command.create({"account_id": journal.default_account_id.id, "balance": sum(amounts)}))
        entry = (
            env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": journal.id,
                    "date": TODAY - timedelta(days=3),
                    "line_ids": lines,
                }
            )
        )
        entry.action_post()
        env.cr.commit()
        env.invalidate_all()


def pay_partially(env, invoices, share=1 / 3, date=TODAY - timedelta(days=5)):
    """A share of what is left of each invoice paid: one bank entry per company and currency, then
    one batched reconciliation (the payment wizard, one invoice at a time, takes minutes here)."""
    for company in invoices.company_id:
        journal = env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "bank")], limit=1
        )
        for currency in invoices.currency_id:
            group = invoices.filtered(
                lambda m, c=company, cur=currency: m.company_id == c and m.currency_id == cur
            )
            if not group:
                continue
            receivables = group.line_ids.filtered(
                lambda line: line.account_type == "asset_receivable" and not line.reconciled
            )
            lines, total = [], 0.0
            for line in receivables:
                amount = currency.round(line.amount_residual_currency * share)
                balance = currency._convert(amount, company.currency_id, company, date)
                total += balance
                lines.append(
                    Command.create(
                        {
                            "account_id": line.account_id.id,
                            "partner_id": line.partner_id.id,
                            "currency_id": currency.id,
                            "amount_currency": -amount,
                            "balance": -balance,
                        }
                    )
                )
            lines.append(
                Command.create(
                    {
                        "account_id": journal.default_account_id.id,
                        "balance": total,
                        "currency_id": company.currency_id.id,
                        "amount_currency": total,
                    }
                )
            )
            entry = (
                env["account.move"]
                .with_company(company)
                .create({"move_type": "entry", "journal_id": journal.id, "date": date, "line_ids": lines})
            )
            entry.action_post()
            credits = entry.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
            env["account.move.line"]._reconcile_plan(
                [a + b for a, b in zip(receivables, credits, strict=True)]
            )
        env.cr.commit()
        env.invalidate_all()


def counts(env):
    return {
        "activities": env["mail.activity"].search_count([]),
        "emails": env["mail.mail"].search_count([]),
        "letters": env["account.collection.history"].search_count([("letter_state", "!=", False)]),
        "history": env["account.collection.history"].search_count([]),
        "fee_invoices": env["account.move"].search_count([("collection_is_charge", "=", True)]),
    }


def daily_flow(env, rng, companies, day, count):
    """A working day's business: `count` new invoices (due in 30 days) and as many open invoices
    paid in full, half of them the oldest due, half at random."""
    from odoo.addons.account_collections.tests.common import prepare_invoice_vals  # noqa: PLC0415

    customers = env["res.partner"].search([("name", "=like", "Bench customer %")])
    for company in companies:
        share = count // len(companies)
        Move = env["account.move"].with_company(company)
        invoices = Move.create(
            [
                prepare_invoice_vals(
                    rng.choice(customers), rng.randint(100, 5000), day + timedelta(days=30), invoice_date=day
                )
                for _ in range(share)
            ]
        )
        invoices.action_post()
        open_moves = Move.search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            order="invoice_date_due, id",
            limit=4 * share,
        )
        oldest = open_moves[: share // 2]
        paid = oldest | open_moves.browse(rng.sample((open_moves - oldest).ids, share - len(oldest)))
        pay_partially(env, paid, share=1.0, date=day)
    env.cr.commit()
    env.invalidate_all()


def steady_day(env, companies, open_items, size, walked=30):
    """A working day once the backlog has been walked: the ladder runs the following working
    days (not measured) with each day's new invoices and payments, the collectors dealing with
    each day's calls and tasks; then one more such day is measured."""
    rng = random.Random(7)
    workdays = companies[0]._collection_workdays(
        TODAY + timedelta(days=2), TODAY + timedelta(days=3 * walked)
    )
    days = [day for day in workdays.dates if day > TODAY + timedelta(days=1)][: walked + 1]
    Run = env["account.collection.run"]
    started = time.perf_counter()
    for day in days:
        daily_flow(env, rng, companies, day, size // 100)
        if day == days[-1]:
            break
        for company in companies:
            Run.with_company(company)._collection_run(company, today=day, commit=True)
            # The managers' history, as the daily snapshot job writes it: the figures read it.
            env["account.collection.snapshot"].with_company(company)._collection_take(company, day)
        env["mail.activity"].search([("automated", "=", True), ("date_deadline", "<=", day)]).unlink()
        env.cr.commit()
        env.invalidate_all()
    print(
        f"  walked {len(days) - 1} working days, {size // 100} new invoices and as many paid each day, "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    run_day(env, companies, days[-1], f"a working day in the steady state ({days[-1]})", open_items)
    env.cr.commit()
    return days[-1]


def figures(env):
    """What a manager's morning reads: a month of company figures by week (the graph), the
    month's totals (the pivot) and the collector figures of the month."""
    Kpi, Collector = env["account.collection.kpi"], env["account.collection.collector.kpi"]
    stocks = ["open_amount:avg", "overdue_amount:avg", "dso:avg", "best_dso:avg", "cei:avg"]
    flows = ["collected:sum", "kept_count:sum", "broken_count:sum", "kept_rate:avg"]
    rows = Kpi._read_group([], ["date:week"], stocks + flows)
    rows += Kpi._read_group([], ["date:month"], stocks + flows)
    rows += Collector._read_group(
        [], ["user_id"], ["call_count:sum", "overdue_call_count:sum", "kept_rate:avg", "collected:sum"]
    )
    return len(rows)


def charges_day(env, companies, day, open_items):
    """The next working day with late-payment charges enabled on every level (40 per overdue
    item and 10 % interest from 60 days back): fee invoices posted, the sales journals' sequence
    taken, for every customer whose step demands something."""
    for company in companies:
        policy = env["account.collection.charge.policy"].create(
            {
                "name": "Bench: 40 per item, 10 %",
                "company_id": company.id,
                "fee_currency_id": company.currency_id.id,
                "fee_per_item": 40.0,
                "interest": True,
                "margin": 10.0,
            }
        )
        env["account.collection.ladder.level"].search([("ladder_id.company_id", "=", company.id)]).write(
            {"charge_policy_id": policy.id}
        )
        company.sudo().write(
            {"collection_charges_enabled": True, "collection_charges_since": TODAY - timedelta(days=60)}
        )
    env.cr.commit()
    workdays = companies[0]._collection_workdays(day + timedelta(days=1), day + timedelta(days=7))
    run_day(env, companies, workdays.dates[0], "next working day, with charges", open_items)
    env.cr.commit()


def run_day(env, companies, day, label, invoices):
    before = counts(env)
    # BENCH_CPROFILE=<part of a step's name>: where that step spends its Python time.
    profiler = cProfile.Profile() if os.environ.get("BENCH_CPROFILE", "\0") in label else None
    with measure(env, label, per=(invoices, "items")):
        Run = env["account.collection.run"]
        if profiler:
            profiler.enable()
        for company in companies:
            Run.with_company(company)._collection_run(company, today=day, commit=True)
        if profiler:
            profiler.disable()
    if profiler:
        stats = pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative"))
        stats.print_stats(int(os.environ.get("BENCH_LINES", 40)))
    after = counts(env)
    ROWS[-1].update({key: after[key] - before[key] for key in after})


def run_ladder_and_promises(env, size):
    """Build the data, run three days of the ladder and evaluate 5,000 promises (committed)."""
    cr = env.cr
    how = f" ({TEMPLATE} with the ORM, copied in SQL)" if size > 50000 else ""
    print(f"Building about {size} invoices and {size // 10} customers{how}...", flush=True)
    started = time.perf_counter()
    main_co, second = build(env, min(size, TEMPLATE) if size > 50000 else size)
    cr.commit()
    if size > 50000:
        clone(env, size)
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    companies = main_co | second
    Line = env["account.move.line"]
    open_items = sum(Line.search_count(Line._collection_open_domain(company)) for company in companies)
    print(f"  {open_items} open receivable items", flush=True)
    if os.environ.get("BENCH_BUILD_ONLY"):
        # The data alone, to copy (createdb -T) and time runs on it, e.g. with bench/workers.py.
        cr.commit()
        raise SystemExit(0)
    run_day(env, companies, TODAY, "first run (backlog)", open_items)
    # The letters' job, on a sample of the first run's letters: its throughput with this
    # machine's wkhtmltopdf (one process per letter unless it is built on patched Qt).
    with measure(env, "letters' job, 40 letters", per=(40, "letters")) as extra:
        done = env["mail.mail"]._cron_collection_letters(limit=40)
        extra["letters"] = len(done)
    cr.commit()
    run_day(env, companies, TODAY, "second run, same day", open_items)
    run_day(env, companies, TODAY + timedelta(days=1), "next working day", open_items)
    cr.commit()

    # 5,000 open promises whose date has passed, evaluated at once.
    moves = env["account.move"].search(
        [("move_type", "=", "out_invoice"), ("payment_state", "in", ("not_paid", "partial"))], limit=5000
    )
    promises = env["account.collection.promise"].create(
        [
            {
                "partner_id": move.commercial_partner_id.id,
                "company_id": move.company_id.id,
                "move_ids": [Command.set(move.ids)],
                "currency_id": move.currency_id.id,
                "amount": move.amount_residual,
                "date": TODAY - timedelta(days=10),
                "date_start": TODAY - timedelta(days=20),
            }
            for move in moves
        ]
    )
    cr.commit()
    env.invalidate_all()
    with measure(env, f"evaluate {len(promises)} promises", per=(len(promises), "promises")) as extra:
        broken = promises._evaluate(TODAY)
        extra["broken"] = len(broken)
    cr.commit()
    last_day = steady_day(env, companies, open_items, size)
    # The managers' daily receivables snapshot (target: 1 s per 10,000 open items).
    open_now = sum(Line.search_count(Line._collection_open_domain(company)) for company in companies)
    with measure(env, f"receivables snapshot of {open_now} open items", per=(open_now, "items")):
        for company in companies:
            env["account.collection.snapshot"].with_company(company)._collection_take(company, last_day)
    cr.commit()
    snapshots = env["account.collection.snapshot"].search_count([])
    env.invalidate_all()
    with measure(env, f"collection figures over {snapshots} snapshots") as extra:
        extra["groups"] = figures(env)
    charges_day(env, companies, last_day, open_now)
    return main_co


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--size", type=int, default=2000, help="number of invoices (customers = size / 10)")
    parser.add_argument("--profile", action="store_true", help="print the most frequent queries of each step")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="only the read-only steps (exposure and aging, hold check), on an existing bench database",
    )
    args = parser.parse_args()
    global PROFILE
    PROFILE = args.profile
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        if args.reuse:
            main_co = env.ref("base.main_company")
        else:
            main_co = run_ladder_and_promises(env, args.size)

        env.invalidate_all()
        customers = env["res.partner"].search([("name", "like", "Bench customer")])
        with measure(env, f"exposure and aging of {len(customers)} customers"):
            customers.mapped("collection_aging_over_90")
            customers.mapped("collection_credit_status")

        from odoo.addons.account_collections.tests.common import prepare_invoice_vals  # noqa: PLC0415

        draft = env["account.move"].create(
            prepare_invoice_vals(customers[0], 100, TODAY + timedelta(days=30), invoice_date=TODAY)
        )
        env.invalidate_all()
        draft.read(["amount_total_signed", "commercial_partner_id", "move_type", "company_id"])
        main_co.sudo().collection_credit_hold = True

        def check():
            try:
                draft._collection_check_credit_hold()
            except odoo.exceptions.UserError:
                pass

        # As in a running server: registry caches (groups, XML ids) warm, records read afresh.
        check()
        env.invalidate_all()
        draft.read(["amount_total_signed", "commercial_partner_id", "move_type", "company_id"])
        with measure(env, "credit-hold check, one invoice"):
            check()
        cr.rollback()

    print()
    print(f"Benchmark, {args.size} invoices, {args.size // 10} customers")
    header = f"{'step':42} {'seconds':>8} {'queries':>8} {'peak MB':>8}  other"
    print(header)
    print("-" * len(header))
    for row in ROWS:
        other = ", ".join(
            f"{k}={v}" for k, v in row.items() if k not in ("step", "seconds", "queries", "peak_mb")
        )
        print(f"{row['step']:42} {row['seconds']:8.2f} {row['queries']:8d} {row['peak_mb']:8.0f}  {other}")


if __name__ == "__main__":
    main()
