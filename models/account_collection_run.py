"""The daily run: what the collection ladder does each working day, and the record of it.

A run takes the open receivable items whose next step has come, customer by customer in
locked batches, plans the level each item reaches (``_collection_plan``), nets what the
customer owes (``res.partner._collection_demands``), carries out the steps (calls, e-mails,
letters, manager tasks, hand-overs) and schedules each item's next step
(``account.move.line._collection_schedule_company``). Each run leaves a record.
"""

import logging
import time
from collections import Counter, defaultdict
from datetime import timedelta

from markupsafe import Markup, escape
from psycopg2.errors import LockNotAvailable, OutOfMemory, SerializationFailure, UniqueViolation

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.tools import SQL, split_every

from ..bulk import array, insert_rows
from ..const import CALL_TYPE, MANAGER, TODO_TYPE
from .account_collection_ladder import LEVEL_ACTIONS
from .account_move_line import ItemFacts

_logger = logging.getLogger(__name__)

DEFAULT_TEMPLATE = "account_collections.mail_template_collection_reminder"
# A run tries customers held by another transaction this many times, waiting longer each time.
RUN_ATTEMPTS = 3
RETRY_DELAY = 5  # seconds
# Customers per batch (one transaction, committed by a scheduled run). Each commit empties the
# ORM's cache, so every batch reads the ladder, templates, users and companies again (about 40
# queries): 5,000 customers keep that below 1 query per 100 items on a backlog, and a batch of a
# 200,000-item backlog's first run still commits every 20 s or so.
BATCH_SIZE = 5000
# The fewest customers a batch is split into when PostgreSQL's lock table is full.
MIN_BATCH_SIZE = 250
# Worker jobs shipped besides the main one (ir_cron_collection_ladder_worker_1..3).
WORKER_CRONS = 3
# Advisory-lock namespace of the parts of a run being worked on ("Part").
PART_LOCK = 0x50617274
# One advisory-lock namespace for customers, whatever the company: a customer's call of the
# day, its followers and its collector are shared by its companies' runs. "Coll".
CUSTOMER_LOCK = 0x436F6C6C
# Advisory-lock namespace of a ladder's daily letters task being made ("Lett").
LETTERS_LOCK = 0x4C657474
# What a run counts, as (key of its statistics, field of its record).
RUN_COUNTERS = {
    "customers": "customer_count",
    "items": "item_count",
    "calls": "call_count",
    "emails": "email_count",
    "letters": "letter_count",
    "notifications": "notification_count",
    "legal": "legal_count",
    "tasks": "task_count",
    "email_tasks": "email_task_count",
    "history": "history_count",
    "charges": "charge_count",
    "skipped": "skipped_count",
}


class AccountCollectionRun(models.Model):
    _name = "account.collection.run"
    _description = "Collection Run"
    _order = "started_at desc, id desc"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    date = fields.Date(string="Day", required=True, readonly=True, index=True)
    trigger = fields.Selection(
        [("cron", "Scheduled"), ("manual", "Run Now")], required=True, readonly=True, default="cron"
    )
    user_id = fields.Many2one("res.users", string="Started By", readonly=True)
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        required=True,
        readonly=True,
        default="queued",
    )
    shard = fields.Integer(
        string="Part", readonly=True, default=1, help="Which part of the day's customers this run took."
    )
    shard_count = fields.Integer(
        string="Parts",
        readonly=True,
        help="Into how many parts, one per worker, the day's customers were split (0: not planned yet).",
    )
    started_at = fields.Datetime(readonly=True)
    duration = fields.Float(string="Duration (s)", readonly=True, digits=(16, 1))
    customer_count = fields.Integer(string="Customers", readonly=True)
    item_count = fields.Integer(string="Items", readonly=True, help="Items that reached a level.")
    call_count = fields.Integer(string="Calls", readonly=True)
    email_count = fields.Integer(string="E-mails", readonly=True)
    letter_count = fields.Integer(string="Letters", readonly=True)
    notification_count = fields.Integer(string="Manager Notices", readonly=True)
    legal_count = fields.Integer(string="Hand-overs", readonly=True)
    task_count = fields.Integer(string="Tasks", readonly=True)
    email_task_count = fields.Integer(string="Customers Without E-mail", readonly=True)
    history_count = fields.Integer(string="Steps", readonly=True)
    charge_count = fields.Integer(
        string="Fee Invoices", readonly=True, help="Fee invoices of late-payment charges posted."
    )
    skipped_count = fields.Integer(
        string="Left for the Next Run", readonly=True, help="Customers another transaction kept busy."
    )
    error = fields.Text(readonly=True, help="What went wrong, and for which customers.")

    @api.depends("company_id", "date")
    def _compute_display_name(self):
        for run in self:
            part = f" ({run.shard}/{run.shard_count})" if run.shard_count > 1 else ""
            run.display_name = f"{run.company_id.name} {run.date or ''}{part}"

    # ------------------------------------------------------------------
    # Starting a run
    # ------------------------------------------------------------------
    @api.model
    def _cron_collection_ladder(self):
        """Daily job: plan every company's day, split into one part per worker (the company's
        *Workers*), run the parts with the worker jobs, committing per batch of customers;
        forget run records older than each company's retention."""
        today = fields.Date.context_today(self)
        # A record left running on an earlier day is a worker that died.
        self.sudo().search([("state", "=", "running"), ("date", "<", today)]).write(
            {"state": "failed", "error": self.env._("The run stopped before its end (worker stopped).")}
        )
        stale = self.sudo().search([("state", "=", "queued"), ("shard_count", ">", 0), ("date", "<", today)])
        stale.write({"state": "failed", "error": self.env._("No worker took this part of the run.")})
        manual = self.sudo().search([("state", "=", "queued"), ("shard_count", "=", 0)])
        for company in self.env["res.company"].sudo().search([], limit=None):
            mine = manual.filtered(lambda run, c=company: run.company_id == c)
            (mine[1:]).unlink()
            self.sudo().with_company(company)._collection_start(company, today, record=mine[:1], commit=True)
        self._collection_work_queued(today, commit=True)
        for company in self.env["res.company"].sudo().search([], limit=None):
            self._collection_forget_old_runs(company, today)

    @api.model
    def _cron_collection_ladder_worker(self):
        """A worker job: take the day's planned parts of runs no other worker has taken."""
        self._collection_work_queued(fields.Date.context_today(self), commit=True)

    @api.model
    def _collection_start(self, company, today, record=None, commit=False):
        """Plan `company`'s run of the day: items that met the ladder or left it since the last
        run first (once, for all parts), then one queued record per part of the customers, and
        the worker jobs woken to take them. Returns the records."""
        Run = self.sudo().with_company(company)
        if not company._collection_workdays(today, today).dates:
            _logger.info("Collection ladder for %s: %s is not a working day", company.name, today)
            if record:
                record.unlink()
            return Run.browse()
        Line = self.env["account.move.line"].sudo().with_company(company)
        Line._collection_adopt_open_items(company)
        Line._collection_release_closed_items(company)
        count = max(company.sudo().collection_run_workers, 1)
        if count > 1:
            # A task on a ladder (letters to post) subscribes its assignee to the ladder: done
            # here once, not by two workers at the same moment.
            for ladder in (
                self.env["account.collection.ladder"].sudo().search([("company_id", "=", company.id)])
            ):
                user = ladder.manager_id or ladder.user_id or company._collection_fallback_user()
                ladder.message_subscribe(partner_ids=user.partner_id.ids)
        plan = {"date": today, "state": "queued", "shard_count": count}
        records = Run.browse()
        if record:
            record.write({**plan, "shard": 1})
            records = record
        records |= Run.create(
            [
                {**plan, "company_id": company.id, "shard": shard}
                for shard in range(len(records) + 1, count + 1)
            ]
        )
        for index in range(1, min(count, WORKER_CRONS + 1)):
            self.env.ref(f"account_collections.ir_cron_collection_ladder_worker_{index}").sudo()._trigger()
        if commit:
            # The parts and the workers' wake-up are visible once committed.
            self.env["ir.cron"]._commit_progress(0)
        return records

    @api.model
    def _collection_work_queued(self, today, commit=False):
        """Run the planned parts of the day, one after the other, until none is left.

        A worker holds a lock on the part it runs for as long as its database session lives
        (``_collection_claim``): two workers never take the same part, a worker that is not there
        leaves its part to the others, and a part whose worker died (killed at its time limit,
        say) is taken up again the same day. A worker goes on with the same part of the next
        company (customers are shared between companies, and their part is the same in each):
        two workers then do not work on the same customer at once."""
        preferred = 0
        while record := self._collection_claim(today, preferred, commit):
            preferred = preferred or record.shard
            company = record.company_id
            try:
                self.sudo().with_company(company)._collection_run(
                    company,
                    today,
                    commit=commit,
                    record=record,
                    shard=(record.shard, record.shard_count),
                    prepare=False,
                )
            finally:
                self.env.execute_query(SQL("SELECT pg_advisory_unlock(%s, %s)", PART_LOCK, record.id))

    @api.model
    def _collection_claim(self, today, preferred, commit):
        """The next part of the day for this worker, locked for its session: a queued part, or
        one left running by a worker whose session ended (the lock went with it).

        A worker prefers a part whose customers no other worker is on: parts share customers
        when their numbers agree modulo the greatest common divisor of their counts (the same
        number in another company with as many parts, any part of a company with one), and two
        workers on the same customers at once make one of them wait, batch after batch. The
        first worker often starts before the last company is planned. A part counts as worked
        on while its worker's session holds its lock (a dead worker's part does not)."""
        self.flush_model(["state"])
        candidates = self.env.execute_query(
            SQL(
                """
                SELECT id FROM account_collection_run part
                 WHERE state IN ('queued', 'running') AND shard_count > 0 AND date = %(today)s
              ORDER BY state = 'queued' DESC, shard = %(preferred)s DESC,
                       EXISTS(SELECT FROM account_collection_run other
                                JOIN pg_locks held
                                  ON held.locktype = 'advisory' AND held.granted
                                 AND held.classid = %(part_lock)s AND held.objid = other.id
                                 AND held.objsubid = 2 AND held.pid <> pg_backend_pid()
                               WHERE other.id <> part.id AND other.date = %(today)s
                                 AND other.state = 'running' AND other.shard_count > 0
                                 AND (part.shard - other.shard)
                                     %% gcd(part.shard_count, other.shard_count) = 0),
                       company_id, shard
                """,
                today=today,
                preferred=preferred,
                part_lock=PART_LOCK,
            )
        )
        for (run_id,) in candidates:
            [(locked,)] = self.env.execute_query(
                SQL("SELECT pg_try_advisory_lock(%s, %s)", PART_LOCK, run_id)
            )
            if not locked:
                continue  # another worker is on it
            # Read again, as committed now: the part may have ended since this list was read.
            take = SQL(
                "UPDATE account_collection_run SET state = 'running' "
                "WHERE id = %s AND state IN ('queued', 'running') RETURNING id",
                run_id,
            )
            if commit:
                with self.env.registry.cursor() as cr:
                    cr.execute(take)
                    taken = cr.fetchall()
            else:
                taken = self.env.execute_query(take)
            if taken:
                record = self.sudo().browse(run_id)
                record.invalidate_recordset()
                return record
            self.env.execute_query(SQL("SELECT pg_advisory_unlock(%s, %s)", PART_LOCK, run_id))
        return None

    @api.model
    def _collection_forget_old_runs(self, company, today):
        """Delete the company's run records older than its retention (none when it is 0)."""
        days = company.sudo().collection_run_retention_days
        if days:
            limit = today - timedelta(days=days)
            self.sudo().search([("company_id", "=", company.id), ("date", "<", limit)]).unlink()

    def action_collection_run_now(self):
        """Managers' "Run now": the daily job runs at once, in the background.

        It runs as the scheduled job itself, which Odoo never runs twice at a time: a manager's
        run and the nightly one cannot fight over the same customers. The run's record names
        the manager who asked for it.
        """
        if not self.env.user.has_group(MANAGER):
            raise AccessError(self.env._("Only collections managers can run the collection ladder."))
        today = fields.Date.context_today(self)
        self.sudo().create(
            [
                {"company_id": company.id, "date": today, "trigger": "manual", "user_id": self.env.uid}
                for company in self.env.user.company_ids
            ]
        )
        self.env.ref("account_collections.ir_cron_collection_ladder").sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Collection ladder"),
                "message": self.env._(
                    "The ladder runs in the background within a minute; its record appears in the runs."
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    @api.model
    def _collection_run(
        self,
        company,
        today=None,
        batch_size=BATCH_SIZE,
        commit=False,
        record=None,
        shard=(1, 1),
        prepare=True,
    ):
        """Run one company's ladder for the day; returns counters of what was created, which
        the run's record keeps.

        `shard` (part, parts) takes only the customers whose id falls in that part (the worker
        jobs share a day); `prepare` first brings in the items that met the ladder or left it
        since the last run (``_collection_start`` does it once for all parts).

        Customers are processed in batches. Each batch is locked (a second worker skips it),
        done in one transaction and committed with ``_commit_progress`` when ``commit``:
        a run that dies part-way keeps the finished batches and the next run resumes.
        Without ``commit`` (tests), batches run under savepoints.

        A customer another transaction holds (a concurrent run, a broken promise escalating)
        or whose items changed under this run (a serialization conflict) is tried again
        after the other batches, up to RUN_ATTEMPTS times; what is still left then is counted
        (``skipped``), named in the record and logged, and the next run takes it up.
        """
        today = today or fields.Date.context_today(self)
        if not company._collection_workdays(today, today).dates:
            # Nothing is sent or planned on a weekend or holiday: the steps that fall due
            # meanwhile are taken on the next working day.
            _logger.info("Collection ladder for %s: %s is not a working day", company.name, today)
            if record:
                record.unlink()
            return {}
        record = self._collection_log(
            record,
            {
                "company_id": company.id,
                "state": "running",
                "date": today,
                "started_at": fields.Datetime.now(),
            },
            commit,
        )
        started = time.monotonic()
        stats = defaultdict(int)
        try:
            skipped = self._collection_run_batches(company, today, batch_size, commit, stats, shard, prepare)
        except Exception as error:
            # The batches committed so far stay done; the record says where the run died.
            self._collection_log(
                record,
                {
                    **self._collection_counter_values(stats),
                    "state": "failed",
                    "error": self._collection_error_text(error),
                    "duration": time.monotonic() - started,
                },
                commit,
            )
            raise
        error = False
        if skipped:
            stats["skipped"] = len(skipped)
            names = self.env["res.partner"].sudo().browse(skipped[:20]).mapped("display_name")
            error = self.env._(
                "%(count)s customers stayed busy in another transaction; the next run takes them up: "
                "%(names)s",
                count=len(skipped),
                names=", ".join(names),
            )
            _logger.warning(
                "Collection ladder for %s on %s: %s customers stayed busy in another transaction "
                "and are left for the next run (ids %s)",
                company.name,
                today,
                len(skipped),
                skipped[:20],
            )
        self._collection_log(
            record,
            {
                **self._collection_counter_values(stats),
                "state": "done",
                "error": error,
                "duration": time.monotonic() - started,
            },
            commit,
        )
        _logger.info("Collection ladder for %s on %s: %s", company.name, today, dict(stats))
        return dict(stats)

    @api.model
    def _collection_log(self, record, vals, commit):
        """Create or update the run's record; returns it. A committing run (the scheduled job)
        keeps its record in a transaction of its own, so that the record survives the run
        dying and tells how far it went."""
        if not commit:
            if record:
                record.sudo().write(vals)
                return record
            return self.sudo().create(vals)
        with self.env.registry.cursor() as cr:
            Run = self.with_env(self.env(cr=cr)).sudo()
            if record:
                Run.browse(record.id).write(vals)
                return record
            return self.browse(Run.create(vals).id)

    @api.model
    def _collection_error_text(self, error):
        partner_ids = getattr(error, "collection_partner_ids", None)
        if not partner_ids:
            return str(error)
        names = self.env["res.partner"].sudo().browse(partner_ids[:20]).mapped("display_name")
        return self.env._(
            "%(error)s (batch of %(count)s customers: %(names)s)",
            error=str(error),
            count=len(partner_ids),
            names=", ".join(names),
        )

    @api.model
    def _collection_counter_values(self, stats):
        return {name: stats.get(key, 0) for key, name in RUN_COUNTERS.items()}

    @api.model
    def _collection_run_batches(self, company, today, batch_size, commit, stats, shard=(1, 1), prepare=True):
        """The day's customers in locked batches; returns those left busy after every attempt."""
        Line = self.env["account.move.line"].sudo().with_company(company)
        if prepare:
            Line._collection_adopt_open_items(company)
            Line._collection_release_closed_items(company)
        part, parts = shard
        partner_ids = [
            pid for pid in self._collection_due_partner_ids(company, today) if pid % parts == part - 1
        ]
        excluded = self._collection_excluded_partner_ids(company, partner_ids, today)
        pending = [pid for pid in partner_ids if pid not in excluded]
        workdays = None
        skipped = []
        for attempt in range(1, RUN_ATTEMPTS + 1):
            skipped, remaining = [], len(pending)
            chunks = list(split_every(batch_size, pending, list))
            while chunks:
                chunk = chunks.pop(0)
                if workdays is None:
                    workdays = Line.search(
                        self._collection_due_domain(company, today), limit=1
                    )._collection_workdays(company, today)
                # Counted once the batch holds: a batch rolled back and retried counts once.
                batch_stats = defaultdict(int)
                try:
                    with self.env.cr.savepoint(flush=True):
                        done = self._collection_run_batch(
                            company, today, chunk, workdays, batch_stats, commit=commit
                        )
                except (SerializationFailure, LockNotAvailable, UniqueViolation):
                    # Another transaction changed these customers' items, holds them, or (two
                    # workers at once) just made the same row, e.g. subscribed a manager to the
                    # ladder his first task is on: the batch is tried again after the others.
                    done = set()
                except OutOfMemory:
                    # PostgreSQL's lock table (max_locks_per_transaction per connection) is full:
                    # other workers hold the locks of thousands of customers. This batch and the
                    # next ones are made smaller; at the smallest, the batch waits for the others.
                    if len(chunk) > MIN_BATCH_SIZE:
                        batch_size = max(len(chunk) // 2, MIN_BATCH_SIZE)
                        _logger.info(
                            "Collection ladder: PostgreSQL's lock table is full, batches of %s customers",
                            batch_size,
                        )
                        left = chunk + [pid for rest in chunks for pid in rest]
                        chunks = list(split_every(batch_size, left, list))
                        continue
                    done = set()
                except Exception as error:
                    # The run's record names the customers of the batch that failed.
                    error.collection_partner_ids = chunk
                    raise
                else:
                    for key, value in batch_stats.items():
                        stats[key] += value
                skipped += [pid for pid in chunk if pid not in done]
                remaining -= len(chunk)
                if commit:
                    self.env["ir.cron"]._commit_progress(len(chunk), remaining=remaining)
                    # Committed work needs no cache: keep memory flat over long runs.
                    self.env.invalidate_all()
                    self.env.cr.cache.pop("collection_formats", None)
            if not skipped:
                break
            pending = skipped
            if attempt < RUN_ATTEMPTS:
                _logger.info("Collection ladder: %s customers busy elsewhere, trying again", len(skipped))
                if commit:
                    # Give the other transaction time to finish; ours sees it once committed.
                    time.sleep(RETRY_DELAY * attempt)
        return skipped

    # ------------------------------------------------------------------
    # What is due today
    # ------------------------------------------------------------------
    @api.model
    def _collection_due_domain(self, company, today):
        """Open items whose next step is due and that nothing pauses (a dispute, an open promise,
        a manager's exclusion of the item)."""
        domain = self.env["account.move.line"]._collection_open_domain(company) & Domain(
            [("collection_next_date", "<=", today), ("move_id.collection_disputed", "=", False)]
        )
        paused = self._collection_paused_move_ids(company)
        if paused:
            domain &= Domain("move_id", "not in", paused)
        excluded_items = self.env["account.collection.exclusion"]._collection_active(company, today)[1]
        if excluded_items:
            domain &= Domain("id", "not in", list(excluded_items))
        return domain

    @api.model
    def _collection_paused_move_ids(self, company):
        """Entries the ladder must not touch today: those covered by an open promise to pay."""
        self.env["account.collection.promise"].flush_model(["state", "company_id", "move_ids"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT rel.move_id
                  FROM account_collection_promise_move_rel rel
                  JOIN account_collection_promise promise ON promise.id = rel.promise_id
                 WHERE promise.state = 'open' AND promise.company_id = %s
                """,
                company.id,
            )
        )
        return [row[0] for row in rows]

    @api.model
    def _collection_excluded_partner_ids(self, company, partner_ids, today):
        """Customers without automatic actions: those handed to lawyers, and those a manager
        keeps out of the day's run."""
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_company(company)
            .search([("id", "in", partner_ids), ("collection_stage", "=", "legal")])
        )
        kept_out = self.env["account.collection.exclusion"]._collection_active(company, today)[0]
        return set(partners.ids) | (kept_out & set(partner_ids))

    @api.model
    def _collection_due_partner_ids(self, company, today):
        """Customers (commercial partners) with an item due today, in id order."""
        Line = self.env["account.move.line"].sudo()
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        query = Line._search(self._collection_due_domain(company, today))
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT partner.commercial_partner_id
                  FROM res_partner partner
                 WHERE partner.id IN (SELECT account_move_line.partner_id FROM %s WHERE %s)
              ORDER BY 1
                """,
                query.from_clause,
                query.where_clause,
            )
        )
        return [row[0] for row in rows]

    @api.model
    def _collection_lock_partners(self, partner_ids):
        """Customers this transaction may work on: a concurrent run holds the others, in this
        company or another. Each lock takes a slot of PostgreSQL's lock table until the
        transaction ends; a full table raises ``OutOfMemory``, which the run answers with smaller
        batches (not a server error)."""
        self.env.cr.execute(
            SQL(
                "SELECT pid FROM unnest(%s) AS pid WHERE pg_try_advisory_xact_lock(%s, pid)",
                array(partner_ids, "int4"),
                CUSTOMER_LOCK,
            ),
            log_exceptions=False,
        )
        return [row[0] for row in self.env.cr.fetchall()]

    # ------------------------------------------------------------------
    # Preview: what a run will do
    # ------------------------------------------------------------------
    @api.model
    def _collection_preview(self, company, day):
        """What the run of `day` will do for `company`, without changing anything: one dict per
        customer and level (customer, level, items, what the step does, the items' amount, the
        amount demanded and its currency, collector).

        It follows the run's own rules, through the same methods: the items due, exclusions,
        the plan, netting against credits and the collectors. Items that never met the ladder
        are placed as the run would place them, in a savepoint rolled back before returning.
        """
        if not company._collection_workdays(day, day).dates:
            return []
        Run = self.sudo().with_company(company)
        Line = self.env["account.move.line"].sudo().with_company(company)
        rows = []
        with self.env.cr.savepoint() as savepoint:
            Line._collection_adopt_open_items(company)
            partner_ids = Run._collection_due_partner_ids(company, day)
            excluded = Run._collection_excluded_partner_ids(company, partner_ids, day)
            partner_ids = [pid for pid in partner_ids if pid not in excluded]
            facts_of = Run._collection_due_facts(company, day, partner_ids) if partner_ids else {}
            if facts_of:
                lines = Line.browse(list(facts_of))
                workdays = lines._collection_workdays(company, day)
                plan, demands = Run._collection_batch_plan(lines, company, day, workdays, facts_of=facts_of)
                partners = self.env["res.partner"].sudo().with_company(company).browse(list(plan.by_partner))
                owners = Run._collection_owners(partners, plan, demands)[0]
                for partner in partners:
                    demand = demands[partner.id]
                    for level_id, line_ids in plan.by_partner[partner.id].items():
                        level = plan.levels[level_id]
                        items = Line.browse(line_ids)
                        rows.append(
                            {
                                "partner_id": partner.id,
                                "level_id": level.id,
                                "user_id": owners[partner.id].id,
                                "item_ids": items.ids,
                                "amount": sum(items.mapped("amount_residual")),
                                "demanded": demand.net,
                                "demand_currency_id": demand.currency_id,
                                "action": self._collection_step_text(level, demand),
                                "skipped": level._collection_below_minimum(demand.net_company),
                            }
                        )
            savepoint.close(rollback=True)
        return rows

    @api.model
    def _collection_step_text(self, level, demand):
        """What a level's step does for a customer, in words."""
        if level._collection_below_minimum(demand.net_company):
            return self.env._("Skipped: below the level's minimum")
        return ", ".join(
            level._fields[name]._description_string(self.env) for name, _label in LEVEL_ACTIONS if level[name]
        )

    # ------------------------------------------------------------------
    # One batch: plan, net, execute, schedule
    # ------------------------------------------------------------------
    @api.model
    def _collection_run_batch(
        self, company, today, partner_ids, workdays, stats, escalate=(), call_day=None, commit=False
    ):
        """One locked batch of customers; items in `escalate` climb at least one level, and
        their call is planned on `call_day` (default: today). `commit`: the run commits its
        batches (the scheduled job), see ``_collection_letter_tasks``.

        Returns the ids of the customers this transaction locked and processed.
        """
        partner_ids = self._collection_lock_partners(partner_ids)
        if not partner_ids:
            return set()
        # Row locks too (see ``_collection_lock_facts``), with the items' facts.
        Line = self.env["account.move.line"].sudo().with_company(company)
        facts_of, locked = Line._collection_lock_facts(
            Line._search(self._collection_due_items_domain(company, today, partner_ids, escalate))
        )
        # A customer with an item locked elsewhere waits for the retry, whole.
        busy = {item.partner_id for item_id, item in facts_of.items() if item_id not in locked}
        if busy:
            facts_of = {item_id: item for item_id, item in facts_of.items() if item.partner_id not in busy}
        done = set(partner_ids) - busy
        if not facts_of:
            return done
        lines = Line.browse(list(facts_of))
        plan, demands = self._collection_batch_plan(lines, company, today, workdays, escalate, facts_of)
        if plan.by_partner:
            self._collection_execute(
                plan, company, today, stats, demands, call_day, commit=commit, facts_of=facts_of
            )
            stats["customers"] += len(plan.by_partner)
        reached = {
            line_id: (level_id, position)
            for (level_id, position), line_ids in plan.reached.items()
            for line_id in line_ids
        }
        if reached:
            stats["items"] += len(reached)
        # The items due today are open (the due domain says so), and carrying out the plan
        # changed none of their facts: the plan's facts serve the schedule. Escalated items
        # may have been paid meanwhile: they are looked at again.
        lines._collection_schedule_company(
            company, workdays, reached, today, facts_of=None if escalate else facts_of
        )
        return done

    @api.model
    def _collection_due_facts(self, company, today, partner_ids, escalate=()):
        """{item id: ``ItemFacts``} of the items of these customers whose step is due today, and
        of those in `escalate`, in one query and in the order the run takes them
        (``ItemFacts.due_order``): the preview plans them as the run does, down to which level
        of a customer comes first."""
        Line = self.env["account.move.line"].sudo().with_company(company)
        facts = Line._collection_query_facts(
            Line._search(self._collection_due_items_domain(company, today, partner_ids, escalate))
        )
        return ItemFacts.in_due_order(facts.values())

    @api.model
    def _collection_due_items_domain(self, company, today, partner_ids, escalate=()):
        """The domain of ``_collection_due_facts``; a broken promise's items (`escalate`) are due
        whatever their date."""
        domain = Domain(self._collection_due_domain(company, today))
        if escalate:
            # A broken promise escalates its items even while another instalment is open.
            domain |= Domain("id", "in", list(escalate))
        return domain & Domain("partner_id.commercial_partner_id", "in", partner_ids)

    @api.model
    def _collection_batch_plan(self, lines, company, today, workdays, escalate=(), facts_of=None):
        """(plan, demands): the level each item reaches today, less the steps that ask for
        payment of customers who owe nothing (or too little), and the customers' demands.
        Reads only: the run carries the plan out, the preview shows it. `facts_of`: the
        items' ``ItemFacts``, if the caller read them."""
        plan = self._collection_plan(lines, company, today, workdays, escalate, facts_of)
        partners = self.env["res.partner"].with_company(company).browse(list(plan.by_partner))
        demands = partners._collection_demands(today)
        for partner_id, demand in demands.items():
            if partners._collection_owes_nothing(demand):
                # Nothing (or too little) is owed once credits are deducted and disputed and
                # promised items left out: no demand, no call about money already paid. The
                # items stay where they are, and are looked at again on the next run.
                plan.hold_payment_steps(partner_id)
        return plan, demands

    @api.model
    def _collection_plan(self, lines, company, today, workdays, escalate=(), facts_of=None):
        """Which level each due item reaches today, grouped per customer.

        An item already on the ladder climbs one level at a time: the next one, whose
        working day has come (its schedule keeps the ladder's spacing), or whatever its
        date when it is in `escalate` (a broken promise). An item meeting the ladder for
        the first time, late (imported, or the addon installed on a live database), goes to
        the furthest level its dates call for, but never past a written step (e-mail or
        letter): the demand is always sent before the claim, the claim before the hand-over,
        each on its working day. Levels that wait for a call outcome hold the item while
        the customer still has an open collection call (escalations do not wait).
        """
        plan = CollectionPlan()
        if facts_of is None:
            facts_of = lines._collection_facts()
        partner_ids = list({item.partner_id for item in facts_of.values()})
        waiting = self._collection_partners_with_open_call(partner_ids)
        Ladder = self.env["account.collection.ladder"].sudo()
        Level = self.env["account.collection.ladder.level"].sudo()
        ahead_of = {}
        for line_id in lines.ids:
            item = facts_of[line_id]
            # The levels ahead of an item depend on its ladder, its level and whether it is a
            # fee invoice's (which skips the steps counted from a delivery): listed once per
            # such key with what the plan asks of each (number, waits for a call's outcome,
            # written), not per item.
            key = (item.ladder_id, item.level_id, item.is_charge)
            if key not in ahead_of:
                climbed, ahead = Ladder.browse(item.ladder_id)._collection_levels_ahead(
                    Level.browse(item.level_id)
                )
                ahead_of[key] = [
                    (index, level, level.wait_for_outcome, level._collection_is_written())
                    for index, level in enumerate(ahead, climbed + 1)
                    if item.applies(level)
                ]
            ahead = ahead_of[key]
            if not ahead:
                continue
            forced = line_id in escalate
            target = None
            if item.level_id or forced:
                position, target, waits = ahead[0][:3]
            else:
                for index, level, level_waits, written in ahead:
                    level_date = level._date_for(item, workdays)
                    if not level_date or level_date > today:
                        break
                    target, position, waits = level, index, level_waits
                    if written:
                        break
            if not target:
                continue
            if waits and item.partner_id in waiting and not forced:
                continue
            plan.add(item.partner_id, target, position, line_id)
        return plan

    @api.model
    def _collection_partners_with_open_call(self, partner_ids):
        if not partner_ids:
            return set()
        groups = (
            self.env["mail.activity"]
            .sudo()
            ._read_group(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", partner_ids),
                    ("activity_type_id", "=", self._collection_ref_id(CALL_TYPE)),
                ],
                ["res_id"],
            )
        )
        return {res_id for (res_id,) in groups}

    # ------------------------------------------------------------------
    # Carrying out a batch's plan
    # ------------------------------------------------------------------
    @api.model
    def _collection_execute(
        self, plan, company, today, stats, demands, call_day=None, commit=False, facts_of=None
    ):
        """Create the calls, e-mails, letters, notifications and history rows of a plan.

        Everything is created in batches: one activity per customer per day for all the
        items it has at any level, one e-mail per customer and level. `demands` are the
        customers' ``CollectionDemand`` of the day: what letters, e-mails and calls state.
        `facts_of`: the items' ``ItemFacts``, when the caller read them (the run's batch).
        """
        all_lines = (
            self.env["account.move.line"]
            .sudo()
            .with_company(company)
            .browse(
                [line_id for levels in plan.by_partner.values() for ids in levels.values() for line_id in ids]
            )
        )
        if facts_of is None:
            # Amounts, names and due dates of every item in the batch, in one query.
            facts_of = all_lines._collection_facts()
        prefetch = all_lines._prefetch_ids
        partners = self.env["res.partner"].sudo().with_company(company).browse(list(plan.by_partner))
        owners = self._collection_assign_collectors(partners, plan, demands)
        history_vals, calls, emails, letters, notices, legal, steps = (
            [],
            defaultdict(list),
            defaultdict(list),
            [],
            [],
            [],
            [],
        )
        # What a level does is read once per level, not once per customer's step (tens of
        # thousands a busy day): its ladder, whether it has a minimum, its actions.
        does = {
            level_id: (
                level.ladder_id.id,
                bool(level.min_amount),
                {
                    "did_call": level.action_call,
                    "did_email": level.action_email,
                    "did_letter": level.action_letter,
                    "did_notify": level.action_notify_manager,
                    "did_legal": level.action_legal,
                },
            )
            for level_id, level in plan.levels.items()
        }
        for partner in partners:
            overdue = demands[partner.id].net_company
            for level_id, line_ids in plan.by_partner[partner.id].items():
                level = plan.levels[level_id]
                ladder_id, has_minimum, actions = does[level_id]
                # Each step's items read their other fields (a charge's) for the whole batch.
                lines = all_lines.browse(line_ids).with_prefetch(prefetch)
                vals = {
                    "date": today,
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "ladder_id": ladder_id,
                    "level_id": level_id,
                    "user_id": owners[partner.id].id,
                    "line_ids": line_ids,
                    "amount": sum(facts_of[line_id].amount_residual for line_id in line_ids),
                }
                if has_minimum and level._collection_below_minimum(overdue):
                    vals["note"] = self.env._(
                        "Skipped: overdue amount below the level's minimum of %(amount)s.",
                        amount=company.currency_id.format(level.min_amount),
                    )
                    history_vals.append(vals)
                    continue
                vals.update(actions, letter_state="to_post" if actions["did_letter"] else False)
                history_vals.append(vals)
                steps.append((partner, level, lines))
                if actions["did_call"]:
                    calls[partner.id].append((level, lines))
                if actions["did_email"]:
                    emails[level].append((partner, vals))
                if actions["did_letter"]:
                    letters.append((partner, level))
                if actions["did_notify"]:
                    notices.append((partner, level, lines))
                if actions["did_legal"]:
                    legal.append((partner, level, lines))
        tasks = self._collection_send_emails(emails, owners, stats, demands)
        tasks += self._collection_letter_tasks(letters, today, stats, commit=commit)
        tasks += self._collection_manager_tasks(notices + legal, owners)
        self._collection_hand_to_lawyers(legal, company)
        activity_of = self._collection_create_activities(
            calls, owners, today, tasks, call_day, demands, company=company, facts_of=facts_of
        )[0]
        for vals in history_vals:
            if vals.get("did_call"):
                vals["activity_id"] = activity_of[vals["partner_id"]].id
        histories = self.env["account.collection.history"].sudo()._collection_insert(history_vals)
        stats["charges"] += len(
            self.env["account.collection.charge"]._collection_charge(steps, company, today, demands)
        )
        stats["history"] += len(histories)
        stats["calls"] += len(activity_of)
        stats["letters"] += len(letters)
        stats["notifications"] += len(notices)
        stats["legal"] += len(legal)
        stats["tasks"] += len(tasks)
        return histories

    @api.model
    def _collection_owners(self, partners, plan, demands):
        """({partner id: collector}, {collector: [partner ids handed to them]}): the partner's
        collector, else its salesperson, else the ladder's. A ladder's hand-over rule moves the
        customer to its escalation collector when the overdue amount or the level reached
        crosses the threshold. Reads only."""
        owners, handed = {}, defaultdict(list)
        ladders = {
            partner.id: next(iter(plan.levels[lid] for lid in plan.by_partner[partner.id])).ladder_id
            for partner in partners
        }
        collectors = partners._collection_collectors(ladders)
        for partner in partners:
            ladder = ladders[partner.id]
            owner = collectors[partner.id]
            target = ladder.handover_user_id
            if target and owner != target:
                overdue = demands[partner.id].net_company
                top = max(plan.positions[partner.id])
                if (ladder.handover_amount and overdue > ladder.handover_amount) or (
                    ladder.handover_level_sequence and top >= ladder.handover_level_sequence
                ):
                    handed[target].append(partner.id)
                    owner = target
            owners[partner.id] = owner
        return owners, handed

    @api.model
    def _collection_assign_collectors(self, partners, plan, demands):
        """{partner id: collector} of the day; customers the hand-over rule moves change collector
        (tracked, their open work moving with them)."""
        owners, handed = self._collection_owners(partners, plan, demands)
        for user, partner_ids in handed.items():
            # Their open calls and the collector's tasks go with them.
            partners.browse(partner_ids)._collection_set_collector(
                user, self.env._("the collection ladder's hand-over rule")
            )
        return owners

    @api.model
    def _collection_item_rows(self, lines, facts_of=None):
        """{item id: its line in a note: document, due date, amount}, for all these items at
        once: the run lists tens of thousands of items a busy day, and reading them as records
        cost a field access per value. `facts_of`: their ``ItemFacts``, if read (else one query).
        """
        if not lines:
            return {}
        if facts_of is None:
            facts_of = lines._collection_facts()
        date_text, amount_text = self.env["res.partner"]._collection_formatters()
        due = escape(self.env._("due"))
        Currency = self.env["res.currency"]
        # Joined as text, each date and amount formatted and escaped once: a busy day lists
        # tens of thousands of items, on a few hundred days, in a few currencies.
        dates, amounts = {}, {}
        result = {}
        for line_id in lines.ids:
            item = facts_of[line_id]
            day = item.date_maturity or item.date
            key = (item.currency_id, item.amount_residual_currency)
            if day not in dates:
                dates[day] = escape(date_text(day))
            if key not in amounts:
                amounts[key] = escape(amount_text(Currency.browse(key[0]), key[1]))
            result[line_id] = f"<li>{escape(item.move_name or '')}, {due} {dates[day]}, {amounts[key]}</li>"
        return result

    @api.model
    def _collection_item_table(self, lines, rows=None):
        """The items of a step, for a call's or a task's note: document, due date, amount.
        `rows`: their lines, when read with others (``_collection_item_rows``)."""
        rows = rows or self._collection_item_rows(lines)
        return Markup(f"<ul>{''.join(rows[line_id] for line_id in lines.ids)}</ul>")

    @api.model
    def _collection_demand_note(self, demand):
        """The demand in a call's note: what to ask for, after credits; what not to ask for."""
        amount_text = self.env["res.partner"]._collection_formatters()[1]
        currency = self.env["res.currency"].browse(demand.currency_id)
        parts = [
            Markup("<p><b>%s</b></p>")
            % self.env._(
                "Ask for %(net)s: due %(due)s, credits %(credits)s.",
                net=amount_text(currency, demand.net),
                due=amount_text(currency, demand.due_total),
                credits=amount_text(currency, demand.credit_total),
            )
        ]
        held = [
            self.env._(
                "%(name)s (%(amount)s): %(why)s",
                name=item["name"],
                amount=amount_text(currency, item["value"]),
                why=self.env._("disputed") if item["disputed"] else self.env._("promised"),
            )
            for item in demand.held
        ]
        if held:
            parts.append(Markup("<p>%s</p>") % self.env._("Do not ask for: %(items)s", items="; ".join(held)))
        return Markup("").join(parts)

    @api.model
    def _collection_ref_id(self, xmlid):
        """The id of a record of this addon's data: ``env.ref`` also checks that it exists, one
        query per call, and a run asks in every batch."""
        return self.env["ir.model.data"]._xmlid_to_res_id(xmlid, raise_if_not_found=True)

    @api.model
    def _collection_calls_on(self, partner_ids, day):
        """{customer id: its open collection call due on `day`}: the call a new one extends."""
        calls = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", partner_ids),
                    ("activity_type_id", "=", self._collection_ref_id(CALL_TYPE)),
                    ("date_deadline", "=", day),
                ]
            )
        )
        return {activity.res_id: activity for activity in calls}

    @api.model
    def _collection_create_activities(
        self, calls, owners, today, tasks=(), call_day=None, demands=None, company=None, facts_of=None
    ):
        """Create the day's calls and collection tasks in one go; returns ({customer id: call},
        tasks).

        `calls` is {customer id: [(level, invoices)]}: one call per customer and day, which
        extends the customer's open call of that day if there is one. The call is due today,
        or on `call_day` (escalations plan their call for the
        next working day). `tasks` are (res_model, res_id, user, summary, note) to-dos due today.
        A call's note states the customer's demand of the day (`demands`), as its letter does.
        `facts_of`: the items' ``ItemFacts``, when the caller read them.
        """
        call_day = call_day or today
        existing = self._collection_calls_on(list(calls), call_day) if calls else {}
        # What the notes list, read for all the calls at once.
        rows = self._collection_item_rows(
            self.env["account.move.line"].union(
                *(lines for items in calls.values() for _level, lines in items)
            ),
            facts_of,
        )
        call_type_id = self._collection_ref_id(CALL_TYPE)
        vals_list, result, extended = [], {}, {}
        for partner_id, items in calls.items():
            note = Markup("").join(
                Markup("<p><b>%s</b></p>%s") % (level.name, self._collection_item_table(moves, rows))
                for level, moves in items
            )
            if demands and partner_id in demands:
                note += self._collection_demand_note(demands[partner_id])
            if partner_id in existing:
                activity = existing[partner_id]
                extended[activity.id] = (activity.note or Markup("")) + note
                result[partner_id] = activity
                continue
            first_level = min((level for level, _moves in items), key=lambda lvl: lvl.call_time)
            hours, minutes = divmod(round(first_level.call_time * 60), 60)
            vals_list.append(
                {
                    "res_model": "res.partner",
                    "res_id": partner_id,
                    "activity_type_id": call_type_id,
                    "summary": self.env._(
                        "%(level)s at %(time)s",
                        level=first_level.summary or first_level.name,
                        time=f"{hours:02d}:{minutes:02d}",
                    ),
                    "note": note,
                    "date_deadline": call_day,
                    "user_id": owners[partner_id].id,
                    "automated": True,
                    "collection_call_time": first_level.call_time,
                    "collection_company_id": (company or self.env.company).id,
                }
            )
        new_calls = len(vals_list)
        if tasks:
            todo_id = self._collection_ref_id(TODO_TYPE)
            vals_list += [
                {
                    "res_model": model,
                    "res_id": res_id,
                    "activity_type_id": todo_id,
                    "summary": summary,
                    "note": note,
                    "date_deadline": today,
                    "user_id": user.id,
                    "automated": True,
                }
                for model, res_id, user, summary, note in tasks
            ]
        activities = self._collection_new_activities(vals_list)
        self._collection_set_notes(extended)
        result.update({activity.res_id: activity for activity in activities[:new_calls]})
        return result, activities[new_calls:]

    @api.model
    def _collection_new_activities(self, vals_list):
        """Create activities from values naming their document by `res_model` and `res_id`, with
        notes built from escaped values (``Markup``).

        A busy day makes thousands of calls: they go in one INSERT (``bulk.insert_rows``),
        with what ``mail.activity.create`` adds to them: the document's model and name (display
        names read in one batch per model), the assignee's time zone, the assignee following the
        document, and the assignee's live counter of activities. The run's activities notify
        nobody by e-mail (``create`` with ``mail_activity_quick_update``).
        """
        Activity = self.env["mail.activity"].sudo()
        if not vals_list:
            return Activity
        by_model = defaultdict(set)
        for vals in vals_list:
            by_model[vals["res_model"]].add(vals["res_id"])
        names = {
            (model, record.id): record.display_name
            for model, ids in by_model.items()
            for record in self.env[model].sudo().browse(ids)
        }
        users = self.env["res.users"].sudo().browse({vals["user_id"] for vals in vals_list})
        time_zone = {user.id: user.tz for user in users}
        for vals in vals_list:
            vals.update(
                res_model_id=self.env["ir.model"]._get_id(vals["res_model"]),
                res_name=names[(vals["res_model"], vals["res_id"])],
                user_tz=time_zone[vals["user_id"]],
                active=True,
                date_done=False,
            )
        activities = insert_rows(Activity, vals_list)
        # As ``create``: the assignees follow the documents, and their counters move.
        followed = defaultdict(set)
        for vals in vals_list:
            followed[(vals["res_model"], vals["user_id"])].add(vals["res_id"])
        for (model, user_id), res_ids in followed.items():
            partner = users.browse(user_id).partner_id
            self.env[model].sudo().browse(res_ids).message_subscribe(partner_ids=partner.ids)
        today = fields.Date.today()
        due = Counter(vals["user_id"] for vals in vals_list if vals["date_deadline"] <= today)
        for user_id, count in due.items():
            users.browse(user_id)._bus_send(
                "mail.activity/updated", {"activity_created": True, "count_diff": count}
            )
        return activities

    @api.model
    def _collection_set_notes(self, notes):
        """Write activity notes, {activity id: note}, in one UPDATE.

        The engine builds its notes as ``Markup`` from escaped values (plain text is escaped
        here): there is nothing to sanitize, and the ORM's sanitizer, one HTML parse per note,
        was a tenth of a busy day's run. ``mail.activity`` keeps nothing else in step with a
        note.
        """
        if not notes:
            return
        Activity = self.env["mail.activity"]
        Activity.flush_model(["note"])
        self.env.execute_query(
            SQL(
                """
                UPDATE mail_activity SET note = new.note
                  FROM unnest(%s, %s) AS new(id, note)
                 WHERE mail_activity.id = new.id
                """,
                array(list(notes), "int4"),
                array(
                    [str(note if isinstance(note, Markup) else escape(note)) for note in notes.values()],
                    "text",
                ),
            )
        )
        Activity.browse(list(notes)).invalidate_recordset(["note"])

    @api.model
    def _collection_todo(self, partner_vals, today):
        """Create collection tasks from [(res_model, res_id, user, summary, note)] in one go."""
        return self._collection_create_activities({}, {}, today, partner_vals)[1]

    @api.model
    def _collection_send_emails(self, emails, owners, stats, demands):
        """Queue one e-mail per customer and level, stating its demand of the day; returns the
        tasks for the collectors of customers without an e-mail address."""
        tasks, letters = [], False
        for level, items in emails.items():
            template = level.mail_template_id or self.env["mail.template"].browse(
                self._collection_ref_id(DEFAULT_TEMPLATE)
            )
            sendable = []
            for partner, vals in items:
                if partner._collection_invoice_contact().email:
                    sendable.append((partner, vals))
                    continue
                vals["did_email"] = False
                vals["note"] = self.env._("No e-mail address: the reminder was not sent.")
                tasks.append(
                    (
                        "res.partner",
                        partner.id,
                        owners[partner.id],
                        self.env._("Send the reminder by other means: no e-mail address"),
                        escape(
                            self.env._(
                                "Level %(level)s could not e-mail %(partner)s.",
                                level=level.name,
                                partner=partner.name,
                            )
                        ),
                    )
                )
            if not sendable:
                continue
            Partner = self.env["res.partner"]
            Partner._collection_prefetch_demands(demands)
            has_letter = level._collection_has_letter()
            try:
                mails = (
                    template.sudo()
                    .with_context(collection_level_id=level.id)
                    ._collection_send_batch(
                        [partner.id for partner, _vals in sendable],
                        letter=has_letter,
                        level=level,
                        trigger=False,
                    )
                )
            finally:
                Partner._collection_forget_demands()
            letters = letters or has_letter
            mail_of = {mail.res_id: mail for mail in mails}
            for partner, vals in sendable:
                vals["mail_id"] = mail_of[partner.id].id
            stats["emails"] += len(mails)
        if letters:
            # The letters' job starts once for the batch, not once per level.
            self.env["mail.mail"]._collection_start_letters()
        stats["email_tasks"] += len(tasks)
        return tasks

    @api.model
    def _collection_letter_tasks(self, letters, today, stats=None, commit=False):
        """Letters go to the 'Letters to post' list; the ladder's manager gets one task per day,
        whatever the number of batches and workers that made letters (the list has the count).

        Returns the tasks to create with the batch's other activities (those it made itself are
        counted in `stats`). A committing run (the scheduled job, possibly several workers at
        once) makes the task itself, in a short transaction of its own under a lock per ladder:
        the next worker waits for that transaction only, then finds the task. Touching the
        ladder's row in the batch's own transaction, as a run that does not commit does, made
        the other worker's whole batch fail to serialize and run again after this one: the
        parts ran one after the other. The task stays if the batch then fails; the batch's
        retry makes the letters.
        """
        ladders = self.env["account.collection.ladder"].union(*(level.ladder_id for _, level in letters))
        if not ladders:
            return []
        if commit:
            for ladder in ladders.sorted("id"):
                self.env.execute_query(SQL("SELECT pg_advisory_lock(%s, %s)", LETTERS_LOCK, ladder.id))
                try:
                    # Its snapshot starts once the lock is held: it sees the other worker's task.
                    with self.env.registry.cursor() as cr:
                        Run = self.with_env(self.env(cr=cr))
                        tasks = Run._collection_new_letter_tasks(ladder.with_env(Run.env), today)
                        Run._collection_todo(tasks, today)
                    if stats is not None:
                        stats["tasks"] += len(tasks)
                finally:
                    self.env.execute_query(SQL("SELECT pg_advisory_unlock(%s, %s)", LETTERS_LOCK, ladder.id))
            return []
        new_tasks = self._collection_new_letter_tasks(ladders, today)
        new = ladders.browse([res_id for _model, res_id, *_rest in new_tasks])
        if new:
            # Two transactions may both find no task yet, each before the other commits.
            # Touching the ladder's row makes the second one fail to serialize and be run
            # again, after the first committed: it then finds the task.
            # An expected conflict: not logged as a failed query.
            new.flush_recordset(["write_date"])
            self.env.cr.execute(
                SQL(
                    "UPDATE account_collection_ladder SET write_date = write_date WHERE id = ANY(%s)", new.ids
                ),
                log_exceptions=False,
            )
        return new_tasks

    @api.model
    def _collection_new_letter_tasks(self, ladders, today):
        """The letters tasks of `ladders` not yet made today, as (res_model, res_id, user,
        summary, note)."""
        summary = self.env._("Letters to print and post")
        planned = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "account.collection.ladder"),
                    ("res_id", "in", ladders.ids),
                    ("activity_type_id", "=", self._collection_ref_id(TODO_TYPE)),
                    ("date_deadline", "=", today),
                    ("summary", "=", summary),
                ]
            )
            .mapped("res_id")
        )
        return [
            (
                "account.collection.ladder",
                ladder.id,
                ladder.manager_id or ladder.user_id or ladder.company_id._collection_fallback_user(),
                summary,
                escape(self.env._("See Collections / Letters to Post.")),
            )
            for ladder in ladders.sudo()
            if ladder.id not in planned
        ]

    @api.model
    def _collection_manager_tasks(self, items, owners):
        """One task per customer and day for the ladder's manager (else the collector) about the
        levels that ask for one, [(customer, level, invoices)]: review them, or confirm the
        hand-over to lawyers when one of them hands the customer over."""
        by_partner = defaultdict(dict)
        for partner, level, moves in items:
            by_partner[partner].setdefault(level, moves)
        tasks = []
        for partner, levels in by_partner.items():
            ordered = sorted(levels, key=lambda lvl: (lvl.sequence, lvl.id))
            top = ordered[-1]
            if any(level.action_legal for level in ordered):
                summary = self.env._(
                    "Confirm the hand-over of %(partner)s to lawyers (firm, date, amount)",
                    partner=partner.name,
                )
            else:
                summary = self.env._(
                    "Review: %(partner)s reached %(level)s", partner=partner.name, level=top.name
                )
            note = Markup("").join(
                Markup("<p><b>%s</b></p>%s") % (level.name, self._collection_item_table(levels[level]))
                for level in ordered
            )
            user = top.ladder_id.manager_id or owners[partner.id]
            tasks.append(("res.partner", partner.id, user, summary, note))
        return tasks

    @api.model
    def _collection_hand_to_lawyers(self, legal, company):
        """Stop automatic actions for these customers in `company`: their stage becomes "legal".

        The stage is company-dependent (a jsonb value per company) and the ORM writes it 100
        customers at a time; one UPDATE sets it for the whole batch. The history row and the
        manager's confirmation task say when and why.
        """
        partners = self.env["res.partner"].sudo().browse(sorted({partner.id for partner, _l, _m in legal}))
        if not partners:
            return
        partners.flush_recordset(["collection_stage"])
        self.env.execute_query(
            SQL(
                """
                UPDATE res_partner
                   SET collection_stage = COALESCE(collection_stage, '{}'::jsonb)
                                          || jsonb_build_object(%s::text, 'legal'),
                       write_uid = %s,
                       write_date = NOW() AT TIME ZONE 'UTC'
                 WHERE id = ANY(%s)
                """,
                company.id,
                self.env.uid,
                partners.ids,
            )
        )
        partners.invalidate_recordset(["collection_stage", "write_uid", "write_date"])
        partners.modified(["collection_stage"])


class CollectionPlan:
    """The day's work for one batch: item ids per customer and level, and levels reached."""

    def __init__(self):
        self.by_partner = defaultdict(lambda: defaultdict(list))
        self.levels = {}
        self.positions = defaultdict(set)
        self.reached = defaultdict(list)

    def add(self, partner_id, level, position, line_id):
        self.levels[level.id] = level
        self.by_partner[partner_id][level.id].append(line_id)
        self.positions[partner_id].add(position)
        self.reached[(level.id, position)].append(line_id)

    def hold_payment_steps(self, partner_id):
        """Take out the customer's steps that ask for payment (see the level's
        ``_collection_asks_for_payment``); steps before the due date stay."""
        levels = self.by_partner.get(partner_id, {})
        for level_id in [lid for lid in levels if self.levels[lid]._collection_asks_for_payment()]:
            line_ids = set(levels.pop(level_id))
            for key in [key for key in self.reached if key[0] == level_id]:
                self.reached[key] = [lid for lid in self.reached[key] if lid not in line_ids]
                if not self.reached[key]:
                    del self.reached[key]
        if levels:
            self.positions[partner_id] = {pos for lid, pos in self.reached if lid in levels}
        else:
            self.by_partner.pop(partner_id, None)
            self.positions.pop(partner_id, None)
