"""The daily run's record, its preview and the customers a manager keeps out of it."""

from datetime import date, datetime
from decimal import Decimal
from unittest.mock import patch

from freezegun import freeze_time

from odoo import sql_db
from odoo.exceptions import AccessError, ValidationError
from odoo.service.model import call_kw
from odoo.tests import tagged
from odoo.tools import SQL

from ..bulk import array
from ..const import CALL_TYPE
from ..models.account_collection_run import PART_LOCK
from .common import CollectionsCommon

MONDAY = date(2026, 6, 15)


@tagged("post_install", "-at_install")
class TestRun(CollectionsCommon):
    def _run(self, day, **kwargs):
        with freeze_time(day):
            return self.env["account.collection.run"]._collection_run(self.company, today=day, **kwargs)

    @staticmethod
    def _steps(rows):
        """{(customer, level, items, amount, collector)} of preview rows or history steps."""
        return {
            (
                row["partner_id"],
                row["level_id"],
                frozenset(row["item_ids"]),
                round(row["amount"], 2),
                row["user_id"],
            )
            for row in rows
        }

    def _history_steps(self):
        histories = self.env["account.collection.history"].search([("company_id", "=", self.company.id)])
        return self._steps(
            {
                "partner_id": h.partner_id.id,
                "level_id": h.level_id.id,
                "item_ids": h.line_ids.ids,
                "amount": h.amount,
                "user_id": h.user_id.id,
            }
            for h in histories
        )

    def _customers(self):
        """A: overdue (demand), B: due Thursday (courtesy call), C: overdue but paid on account
        (no demand), D: overdue, its item never met the ladder (imported)."""
        names = ("Alpha", "Bravo", "Charlie", "Delta")
        a, b, c, d = self.env["res.partner"].create(
            [{"name": name, "is_company": True, "email": f"{name.lower()}@x.example"} for name in names]
        )
        self._invoice(a, 400.0, date(2026, 5, 20))
        self._invoice(a, 250.0, date(2026, 5, 27))
        self._invoice(b, 300.0, date(2026, 6, 18))
        self._invoice(c, 500.0, date(2026, 5, 20))
        self._unmatched_credit(c, 500.0, date(2026, 6, 1))
        imported = self._invoice(d, 800.0, date(2026, 5, 20))
        self._forget_ladder_steps(imported.line_ids)
        return a, b, c, d

    # ------------------------------------------------------------------
    # Preview
    # ------------------------------------------------------------------
    def test_preview_and_the_run_agree(self):
        a, b, _, d = self._customers()
        Run = self.env["account.collection.run"]
        activities = self.env["mail.activity"].search_count([])
        with freeze_time(MONDAY):
            rows = Run._collection_preview(self.company, MONDAY)
        # Nothing changed: no step, no activity, the imported item still off the ladder.
        self.assertFalse(self.env["account.collection.history"].search_count([]))
        self.assertEqual(self.env["mail.activity"].search_count([]), activities)
        self.assertFalse(d.invoice_ids._collection_items().collection_ladder_id)
        by_customer = {row["partner_id"]: row for row in rows}
        self.assertEqual(set(by_customer), {a.id, b.id, d.id}, "C owes nothing after its payment")
        self.assertEqual(by_customer[a.id]["level_id"], self.levels[2].id)
        self.assertEqual(by_customer[a.id]["demanded"], 650.0)
        self.assertEqual(by_customer[b.id]["level_id"], self.levels[0].id)
        self.assertEqual(by_customer[d.id]["amount"], 800.0)
        self._run(MONDAY)
        self.assertEqual(self._steps(rows), self._history_steps())
        # The day after: the preview of a day already run shows what is left (nothing today).
        with freeze_time(MONDAY):
            self.assertEqual(Run._collection_preview(self.company, MONDAY), [])
        self.assertEqual(Run._collection_preview(self.company, date(2026, 6, 20)), [], "Saturday")

    def test_arrays_reach_postgresql_as_given(self):
        """The run sends its columns as arrays' text: every value comes back as it went (False,
        the ORM's empty value, as NULL but in a boolean array)."""
        texts = ['say "hi"', "back\\slash", "{braces}, commas", "", None, "NULL", "it's", "<p>é</p>\n"]
        days = [date(2026, 6, 15), None]
        moments = [datetime(2026, 6, 15, 8, 30, 1, 5), None]
        [row] = self.env.execute_query(
            SQL(
                "SELECT %s, %s, %s, %s, %s, %s, %s",
                array(texts, "text"),
                array([*texts, False], "varchar"),
                array([1, None, 0, False, -7], "int4"),
                array([True, False, None], "bool"),
                array([Decimal("2.50"), 1e-07, None], "numeric"),
                array([*days, False], "date"),
                array(moments, "timestamp"),
            )
        )
        self.assertEqual(
            row,
            (
                texts,
                [*texts, None],
                [1, None, 0, None, -7],
                [True, False, None],
                [2.5, 1e-07, None],
                [*days, None],
                moments,
            ),
        )

    def test_calls_are_the_activities_odoo_would_create(self):
        """The run inserts its calls in one statement: each is what ``mail.activity.create``
        makes of the same values (model, document name, the assignee's time zone, state), the
        collector follows the customer, the customer's activities include it even if read
        before, and the collector's counter of activities moves."""
        customer = self._customers()[1]  # its courtesy call
        collector = customer._collection_collector()
        collector.tz = "Europe/Budapest"
        Users = type(self.env["res.users"])
        sent, bus_send = [], Users._bus_send

        def spy(users, notification_type, message, **kwargs):
            sent.append((users.ids, notification_type, message))
            return bus_send(users, notification_type, message, **kwargs)

        self.assertFalse(customer.activity_ids)  # read before the run
        with patch.object(Users, "_bus_send", spy):
            self._run(MONDAY)
        call = customer.activity_ids.filtered(lambda act: act.activity_type_id == self.env.ref(CALL_TYPE))
        self.assertEqual(len(call), 1)
        self.assertEqual(call.user_id, collector)
        self.assertIn(collector.partner_id, customer.message_partner_ids)
        self.assertIn(
            ([collector.id], "mail.activity/updated", {"activity_created": True, "count_diff": 1}), sent
        )
        self.assertIn(customer.invoice_ids.name, call.note)
        with freeze_time(MONDAY):
            made = (
                self.env["mail.activity"]
                .with_context(mail_activity_quick_update=True)
                .create(
                    {
                        "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                        "res_id": customer.id,
                        "activity_type_id": call.activity_type_id.id,
                        "summary": call.summary,
                        "date_deadline": call.date_deadline,
                        "user_id": collector.id,
                        "automated": True,
                        "collection_call_time": call.collection_call_time,
                        "collection_company_id": call.collection_company_id.id,
                    }
                )
            )
            names = [
                name
                for name, field in call._fields.items()
                if name not in ("id", "note", "create_date", "write_date")
                and (field.store or name in ("state", "can_write", "activity_category"))
            ]
            self.assertEqual(call.read(names)[0] | {"id": 0}, made.read(names)[0] | {"id": 0})
        self.assertEqual(
            (call.res_model, call.res_name, call.user_tz),
            ("res.partner", customer.display_name, "Europe/Budapest"),
        )

    def test_kept_out_customers_and_items_are_skipped(self):
        a, b = self._customers()[:2]
        Exclusion = self.env["account.collection.exclusion"].with_user(self.manager)
        first = a.invoice_ids.filtered(lambda m: m.invoice_date_due == date(2026, 5, 20))._collection_items()
        with self.assertRaisesRegex(ValidationError, "Say why"):
            Exclusion.create({"partner_id": b.id, "reason": " ", "date_from": MONDAY, "date_to": MONDAY})
        with self.assertRaises(AccessError):
            Exclusion.with_user(self.collector).create(
                {"partner_id": b.id, "reason": "Meeting", "date_from": MONDAY, "date_to": MONDAY}
            )
        Exclusion.create(
            {"partner_id": b.id, "reason": "Visit on Tuesday", "date_from": MONDAY, "date_to": MONDAY}
        )
        Exclusion.create(
            {
                "partner_id": a.id,
                "line_ids": [(6, 0, first.ids)],
                "reason": "Credit note coming",
                "date_from": MONDAY,
                "date_to": date(2026, 6, 16),
            }
        )
        self.assertIn("Visit on Tuesday", b.message_ids[0].body)
        with freeze_time(MONDAY):
            # The menu's action creates the preview of the next run and opens it, computed.
            action = self.env["account.collection.preview"].with_user(self.manager).action_open()
            preview = self.env["account.collection.preview"].browse(action["res_id"])
            self.assertEqual(preview.date, MONDAY)
        self.assertNotIn(b, preview.line_ids.partner_id)
        row = preview.line_ids.filtered(lambda line: line.partner_id == a)
        self.assertNotIn(first, row.item_ids)
        self.assertTrue(row.item_ids)
        self._run(MONDAY)
        steps = self._history_steps()
        self.assertEqual(
            self._steps(
                {
                    "partner_id": line.partner_id.id,
                    "level_id": line.level_id.id,
                    "item_ids": line.item_ids.ids,
                    "amount": line.amount,
                    "user_id": line.user_id.id,
                }
                for line in preview.line_ids
            ),
            steps,
        )
        self.assertFalse(first.collection_level_id)
        # Kept out for Monday only: Tuesday's run takes B's courtesy call.
        self._run(date(2026, 6, 16))
        self.assertTrue(b.invoice_ids._collection_items().collection_level_id)
        with self.assertRaises(AccessError):
            self.env["account.collection.preview"].with_user(self.collector).create({"date": MONDAY})
        # Nor another company's run, even for a manager.
        other_company = self.setup_other_company(name="Other Co")["company"]
        with self.assertRaises(AccessError):
            self.env["account.collection.preview"].with_user(self.manager).create(
                {"date": MONDAY, "company_id": other_company.id}
            )

    def test_an_exclusion_of_items_never_widens_to_the_customer(self):
        """Items Odoo deletes (an entry reset to draft and remade) leave an exclusion of items
        empty: it keeps nothing out, rather than the whole customer."""
        a = self._customers()[0]
        invoice = a.invoice_ids.filtered(lambda m: m.invoice_date_due == date(2026, 5, 20))
        exclusion = (
            self.env["account.collection.exclusion"]
            .with_user(self.manager)
            .create(
                {
                    "partner_id": a.id,
                    "line_ids": [(6, 0, invoice._collection_items().ids)],
                    "reason": "Credit note coming",
                    "date_from": MONDAY,
                    "date_to": MONDAY,
                }
            )
        )
        self.assertFalse(exclusion.whole_customer)
        with freeze_time(date(2026, 6, 12)):
            invoice.button_draft()
            invoice.unlink()
        self.assertFalse(exclusion.line_ids)
        partner_ids = self.env["account.collection.exclusion"]._collection_active(self.company, MONDAY)[0]
        self.assertNotIn(a.id, partner_ids)
        self._run(MONDAY)
        self.assertTrue(self.env["account.collection.history"].search([("partner_id", "=", a.id)]))

    # ------------------------------------------------------------------
    # The record of a run
    # ------------------------------------------------------------------
    def test_each_run_leaves_a_record(self):
        self._invoice(self.customer, 1000.0, date(2026, 5, 15))
        Run = self.env["account.collection.run"]
        stats = self._run(MONDAY)
        record = Run.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(record), 1)
        self.assertEqual(record.state, "done")
        self.assertEqual(record.date, MONDAY)
        self.assertEqual(record.trigger, "cron")
        self.assertEqual(
            (record.customer_count, record.item_count, record.email_count, record.history_count),
            (stats["customers"], stats["items"], stats["emails"], stats["history"]),
        )
        self.assertEqual((record.customer_count, record.item_count, record.email_count), (1, 1, 1))
        # Saturday: nothing runs, nothing is recorded.
        self.assertEqual(self._run(date(2026, 6, 20)), {})
        self.assertEqual(Run.search_count([("company_id", "=", self.company.id)]), 1)
        # Managers see the runs; collectors do not.
        self.assertEqual(Run.with_user(self.manager).search([("id", "=", record.id)]), record)
        with self.assertRaises(AccessError):
            Run.with_user(self.collector).search([])
        # "Run now" names the manager who asked; collectors cannot ask.
        with self.assertRaises(AccessError):
            Run.with_user(self.collector).action_collection_run_now()
        # The list's header button calls it on no record, as the web client does.
        with freeze_time(MONDAY):
            call_kw(Run.with_user(self.manager), "action_collection_run_now", [[]], {})
        queued = Run.search([("state", "=", "queued"), ("company_id", "=", self.company.id)])
        self.assertEqual((queued.trigger, queued.user_id), ("manual", self.manager))

    def test_run_records_are_kept_for_the_retention(self):
        Run = self.env["account.collection.run"]
        self._invoice(self.customer, 1000.0, date(2026, 5, 15))
        self._run(date(2026, 6, 1))
        self._run(MONDAY)
        old, recent = Run.search([("company_id", "=", self.company.id)], order="date")
        self.company.sudo().collection_run_retention_days = 0
        Run._collection_forget_old_runs(self.company, date(2027, 6, 1))
        self.assertEqual(len(old | recent), 2, "0 keeps them all")
        self.company.sudo().collection_run_retention_days = 10
        Run._collection_forget_old_runs(self.company, date(2026, 6, 16))
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())

    def test_a_failed_run_names_its_customers(self):
        self._invoice(self.customer, 1000.0, date(2026, 5, 15))
        Run = type(self.env["account.collection.run"])

        def failing(*args, **kwargs):
            raise RuntimeError("worker killed")

        # Not assertRaises: Odoo's version rolls back to a savepoint taken before the run.
        with patch.object(Run, "_collection_run_batch", failing):
            try:
                self._run(MONDAY)
            except RuntimeError as error:
                self.assertEqual(str(error), "worker killed")
            else:
                self.fail("the run should have died")
        record = self.env["account.collection.run"].search([("company_id", "=", self.company.id)])
        self.assertEqual(record.state, "failed")
        self.assertIn("worker killed", record.error)
        self.assertIn(self.customer.name, record.error)

    # ------------------------------------------------------------------
    # Workers sharing the day
    # ------------------------------------------------------------------
    def test_workers_share_the_day(self):
        """With three workers, the day is planned in three parts, each woken worker job takes a
        part nobody else took, and every customer is done exactly once, in the part its id
        falls in. A part no worker takes is run by whoever is left (here, one worker takes all)."""
        customers = self.env["res.partner"].create(
            [{"name": f"Shared {n}", "is_company": True, "email": f"s{n}@x.example"} for n in range(7)]
        )
        for customer in customers:
            self._invoice(customer, 100.0, date(2026, 6, 1))
        self.company.sudo().collection_run_workers = 3
        Run = self.env["account.collection.run"]
        workers = [self.env.ref(f"account_collections.ir_cron_collection_ladder_worker_{n}") for n in (1, 2)]
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "in", [w.id for w in workers])])
        with freeze_time(MONDAY):
            parts = Run._collection_start(self.company, MONDAY)
        self.assertEqual(parts.mapped("shard"), [1, 2, 3])
        self.assertEqual(set(parts.mapped("shard_count")), {3})
        self.assertEqual(set(parts.mapped("state")), {"queued"})
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "in", [w.id for w in workers])]),
            triggers + 2,
        )
        # The worker that took part 2 died: its part is left running, with no worker holding it.
        parts[1].state = "running"
        with freeze_time(MONDAY):
            Run._collection_work_queued(MONDAY)
        self.assertEqual(set(parts.mapped("state")), {"done"}, "a dead worker's part is taken up again")
        histories = self.env["account.collection.history"].search([("partner_id", "in", customers.ids)])
        self.assertEqual(histories.partner_id, customers)
        self.assertEqual(len(histories), len(customers), "each customer once")
        for part in parts:
            expected = [c for c in customers if c.id % 3 == part.shard - 1]
            self.assertEqual(part.customer_count, len(expected), part.display_name)
        self.assertEqual(sum(parts.mapped("customer_count")), len(customers))
        # Nothing is planned on a Saturday.
        with freeze_time(date(2026, 6, 20)):
            self.assertFalse(Run._collection_start(self.company, date(2026, 6, 20)))
        with self.assertRaisesRegex(ValidationError, "1 to 4"):
            self.company.sudo().collection_run_workers = 5

    def test_a_worker_starts_on_customers_no_other_worker_is_on(self):
        """Parts share customers when their numbers agree modulo the greatest common divisor of
        their counts. A worker that starts while another runs the other company's part 1 takes a
        part 2, and keeps to part 2; a part whose worker died (no session holds it) is no
        reason to keep away."""
        other = self.setup_other_company(name="Parted Co")["company"]
        Run = self.env["account.collection.run"].sudo()
        mine, theirs = (
            Run.create(
                [{"company_id": company.id, "date": MONDAY, "shard": n, "shard_count": 2} for n in (1, 2)]
            )
            for company in (self.company, other)
        )
        self.assertLess(self.company.id, other.id, "this company's parts come first by default")
        theirs[0].state = "running"
        self.env.flush_all()
        claimed = []

        def claim(preferred=0):
            record = Run._collection_claim(MONDAY, preferred, commit=False)
            if record:
                claimed.append(record)
            return record

        try:
            # Its worker died: nobody holds it, the default order stands.
            self.assertEqual(claim(), mine[0])
            mine[0].state = "queued"
            self.env.execute_query(SQL("SELECT pg_advisory_unlock(%s, %s)", PART_LOCK, claimed.pop().id))
            # Another worker, in another database session, runs it.
            with sql_db.db_connect(self.env.cr.dbname).cursor() as worker:
                worker.execute("SELECT pg_advisory_lock(%s, %s)", (PART_LOCK, theirs[0].id))
                try:
                    first = claim()
                    self.assertEqual(first, mine[1])
                    self.assertEqual(first.state, "running")
                    self.assertEqual(claim(first.shard), theirs[1], "the same part of the next company")
                finally:
                    worker.execute("SELECT pg_advisory_unlock(%s, %s)", (PART_LOCK, theirs[0].id))
        finally:
            # Session locks outlive the test's transaction.
            for record in claimed:
                self.env.execute_query(SQL("SELECT pg_advisory_unlock(%s, %s)", PART_LOCK, record.id))

    def test_one_letters_task_per_ladder_and_day(self):
        """Letters made by several batches (or workers) the same day leave the ladder's manager
        one task to print and post them, not one per batch."""
        customers = self.env["res.partner"].create(
            [{"name": f"Letter {n}", "is_company": True, "email": f"l{n}@x.example"} for n in range(3)]
        )
        for customer in customers:
            self._invoice(customer, 100.0, date(2026, 6, 1))
        self._run(MONDAY, batch_size=1)
        histories = self.env["account.collection.history"].search([("partner_id", "in", customers.ids)])
        self.assertEqual(len(histories.filtered("did_letter")), 3, "three letters, in three batches")
        tasks = self.env["mail.activity"].search(
            [
                ("res_model", "=", "account.collection.ladder"),
                ("res_id", "=", self.ladder.id),
                ("date_deadline", "=", MONDAY),
            ]
        )
        self.assertEqual(len(tasks), 1)
        self.assertEqual(tasks.user_id, self.manager)

    def test_workers_make_the_letters_task_in_a_transaction_of_their_own(self):
        """Workers committing their batches make the ladder's letters task in a short transaction
        of their own, one after the other: the second finds the first one's task (one task, no
        conflict failing its whole batch), and a run that does not commit finds it too."""
        level = self.levels.filtered("action_letter")[:1]
        self.assertTrue(level)
        Run = self.env["account.collection.run"]
        letters = [(self.customer, level)]
        stats = {"tasks": 0}
        # The transactions of their own, on the test's cursor.
        with self.enter_registry_test_mode():
            self.assertEqual(Run._collection_letter_tasks(letters, MONDAY, stats, commit=True), [])
            self.assertEqual(Run._collection_letter_tasks(letters, MONDAY, stats, commit=True), [])
        self.assertEqual(stats["tasks"], 1)
        self.assertEqual(Run._collection_letter_tasks(letters, MONDAY), [])
        tasks = self.env["mail.activity"].search(
            [("res_model", "=", "account.collection.ladder"), ("res_id", "=", self.ladder.id)]
        )
        self.assertEqual(len(tasks), 1)
        self.assertEqual((tasks.user_id, tasks.date_deadline), (self.manager, MONDAY))
        # Another day, another task; without committing, the batch makes it.
        tomorrow = date(2026, 6, 16)
        [task] = Run._collection_letter_tasks(letters, tomorrow)
        self.assertEqual(task[:3], ("account.collection.ladder", self.ladder.id, self.manager))
