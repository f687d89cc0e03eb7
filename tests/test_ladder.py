from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import sql_db
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.account_collections.models.account_collection_run import CUSTOMER_LOCK

from .common import CollectionsCommon, prepare_invoice_vals

MONDAY = date(2026, 6, 15)
CALL = "account_collections.mail_activity_type_collection_call"
TODO = "account_collections.mail_activity_type_collection_todo"


@tagged("post_install", "-at_install")
class TestLadder(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls.company.resource_calendar_id
        cls.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": cls.calendar.id,
                "company_id": cls.company.id,
                "date_from": datetime(2026, 6, 22, 0, 0),
                "date_to": datetime(2026, 6, 22, 23, 0),
                "time_type": "leave",
            }
        )
        cls.other = cls.env["res.partner"].create(
            {"name": "Other Debtor", "is_company": True, "email": "o@x.example"}
        )
        cls.call_type = cls.env.ref(CALL)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _run(self, day, **kwargs):
        with freeze_time(day):
            return self.env["account.collection.run"]._collection_run(self.company, today=day, **kwargs)

    def _post(self, partner, amount, due, day=MONDAY, **kwargs):
        with freeze_time(day):
            return self._invoice(partner, amount, due, invoice_date=date(2026, 5, 1), **kwargs)

    def _calls(self, partner):
        return partner.activity_ids.filtered(lambda a: a.activity_type_id == self.call_type)

    def _history(self, partner):
        return self.env["account.collection.history"].search([("partner_id", "=", partner.id)])

    # ------------------------------------------------------------------
    # Working days
    # ------------------------------------------------------------------
    def test_default_ladder_follows_the_method(self):
        """The shipped ladder: delivery call, courtesy call, due-date call at noon, demand, claim, lawyers."""
        # The main company's ladder (the test user works in a company of its own).
        ladder = self.env.ref("account_collections.account_collection_ladder_default").sudo()
        levels = ladder._ordered_levels()
        self.assertEqual(
            [(level.reference, level.offset_days) for level in levels],
            [("invoice_date", 1), *(("due_date", offset) for offset in (-3, 0, 1, 2, 3, 10, 20))],
        )
        # Each level has its own XML id, so `make pot` exports its texts for translation.
        ref = lambda name: self.env.ref(f"account_collections.account_collection_level_{name}").sudo()  # noqa: E731
        self.assertEqual(levels[0], ref("delivery_call"))
        self.assertIn("discount", ref("delivery_call").talking_points)  # what to say, per level
        self.assertEqual(ref("due_date_call").call_time, 12.0)
        demand, claim = ref("payment_demand"), ref("formal_claim")
        self.assertTrue(demand.action_email and demand.action_letter and demand._collection_has_letter())
        self.assertIn("penalties", demand.letter_body)
        self.assertIn("courts", claim.letter_body)
        self.assertEqual(claim.payment_days, 7)
        self.assertTrue(ref("letter_follow_up_call").wait_for_outcome)
        self.assertTrue(ref("legal_handover").action_legal)
        self.assertFalse(ref("due_date_call")._collection_has_letter())

    def test_working_days_skip_weekends_and_holidays(self):
        days = self.company._collection_workdays(date(2026, 6, 1), date(2026, 7, 31))
        self.assertNotIn(date(2026, 6, 22), days.dates)  # the holiday
        self.assertNotIn(date(2026, 6, 20), days.dates)  # Saturday
        self.assertEqual(days.shift(date(2026, 6, 19), 1), date(2026, 6, 23))  # Fri + 1 over the holiday
        self.assertEqual(days.shift(date(2026, 6, 20), 0), date(2026, 6, 23))  # Saturday moves forward
        self.assertEqual(days.shift(date(2026, 6, 24), -3), date(2026, 6, 18))
        self.assertEqual(days.shift(MONDAY, -3), date(2026, 6, 10))
        # Dates far outside the window widen it instead of getting no date.
        self.assertEqual(days.shift(date(2025, 12, 31), 1), date(2026, 1, 1))
        self.assertEqual(days.shift(date(2027, 3, 5), 1), date(2027, 3, 8))

    def test_posting_schedules_the_first_level(self):
        invoice = self._post(self.customer, 100, date(2026, 6, 18))
        self.assertEqual(invoice.collection_ladder_id, self.ladder)
        self.assertEqual(invoice.collection_next_level_id, self.levels[0])
        self.assertEqual(invoice.collection_next_date, MONDAY)  # 3 working days before Thursday
        # The customer's own ladder wins over the company's.
        own = self.ladder.copy({"name": "Own ladder"})
        self.customer.with_user(self.manager).collection_ladder_id = own
        self.assertEqual(self._post(self.customer, 50, date(2026, 6, 18)).collection_ladder_id, own)

    # ------------------------------------------------------------------
    # Engine
    # ------------------------------------------------------------------
    def test_courtesy_call_then_idempotent(self):
        invoice = self._post(self.customer, 100, date(2026, 6, 18))
        stats = self._run(MONDAY)
        self.assertEqual(stats["calls"], 1)
        call = self._calls(self.customer)
        self.assertEqual(call.user_id, self.collector)  # the ladder's collector
        self.assertEqual(call.date_deadline, MONDAY)
        self.assertIn(invoice.name, call.note)
        self.assertEqual(invoice.collection_level_id, self.levels[0])
        self.assertEqual(invoice.collection_level_date, MONDAY)
        self.assertEqual(invoice.collection_next_level_id, self.levels[1])
        self.assertEqual(invoice.collection_next_date, date(2026, 6, 18))
        # A second run the same day creates nothing.
        self.assertEqual(self._run(MONDAY), {})
        self.assertEqual(len(self._calls(self.customer)), 1)
        self.assertEqual(len(self._history(self.customer)), 1)
        self.assertEqual(self.customer.collection_history_count, 1)
        # Nothing is due on Tuesday; on Thursday the due-date call comes, at midday.
        self.assertEqual(self._run(date(2026, 6, 16)), {})
        self._run(date(2026, 6, 18))
        self.assertEqual(invoice.collection_level_id, self.levels[1])
        self.assertIn("12:00", self._calls(self.customer).sorted("id")[-1].summary)
        # Friday: e-mail and letter of the demand level; Monday 22 is a holiday, the next step
        # (claim, due + 5 working days) is on Friday 26.
        self._run(date(2026, 6, 19))
        self.assertEqual(invoice.collection_level_id, self.levels[2])
        self.assertEqual(invoice.collection_next_date, date(2026, 6, 26))

    def test_one_call_per_customer_per_day(self):
        first = self._post(self.customer, 100, date(2026, 6, 18))
        second = self._post(self.customer, 200, date(2026, 6, 18))
        self._post(self.other, 300, date(2026, 6, 18))
        stats = self._run(MONDAY)
        self.assertEqual(stats["calls"], 2)
        call = self._calls(self.customer)
        self.assertEqual(len(call), 1)
        self.assertIn(first.name, call.note)
        self.assertIn(second.name, call.note)
        history = self._history(self.customer)
        self.assertEqual(history.move_ids, first | second)
        self.assertEqual(history.activity_id, call)

    def test_backlog_first_contact_keeps_the_written_steps(self):
        """An invoice the ladder meets late (imported, or the addon installed on a live
        database): the demand first, then the claim, then the lawyers, each on its own working
        day with the ladder's spacing, never straight to the last level its dates call for."""
        invoice = self._post(self.customer, 1000, date(2026, 6, 5))  # the claim's date has passed
        stats = self._run(MONDAY)
        self.assertEqual(invoice.collection_level_id, self.levels[2])  # the demand, not the claim
        self.assertEqual(invoice.collection_level_sequence, 3)
        self.assertEqual((stats["emails"], stats["letters"], stats["calls"]), (1, 1, 0))
        # The claim comes 4 working days after the demand (offsets 1 and 5), not at once.
        self.assertEqual(invoice.collection_next_date, date(2026, 6, 19))
        self.assertEqual(self._run(date(2026, 6, 16)), {})
        stats = self._run(date(2026, 6, 19))
        self.assertEqual(invoice.collection_level_id, self.levels[3])
        self.assertEqual((stats["calls"], stats["notifications"]), (1, 1))
        todo = self.customer.activity_ids.filtered(lambda a: a.activity_type_id == self.env.ref(TODO))
        self.assertEqual(todo.user_id, self.manager)
        # The lawyers 5 working days after the claim (offsets 5 and 10); Monday 22 is a holiday.
        self.assertEqual(invoice.collection_next_date, date(2026, 6, 29))
        self.assertNotEqual(self.customer.collection_stage, "legal")
        self._run(date(2026, 6, 29))
        self.assertEqual(invoice.collection_level_id, self.levels[4])
        self.assertEqual(self.customer.collection_stage, "legal")
        self.assertEqual(
            self._history(self.customer).sorted("id").level_id.ids, self.levels[2:].ids, "no step skipped"
        )

    def test_old_backlog_starts_with_the_demand(self):
        """An invoice months overdue starts with the written demand, whichever invoice the run
        meets first; the installation on a live database hands nobody to lawyers at once."""
        recent = self._post(self.customer, 100, date(2026, 6, 18))
        with freeze_time(MONDAY):
            old = self._invoice(self.other, 2000, date(2026, 2, 2), invoice_date=date(2026, 1, 2))
        stats = self._run(MONDAY)
        self.assertEqual(old.collection_level_id, self.levels[2])
        self.assertEqual(recent.collection_level_id, self.levels[0])
        self.assertFalse(stats.get("legal"))
        self.assertEqual(old.collection_next_date, date(2026, 6, 19))

    def test_nothing_runs_on_a_weekend_or_holiday(self):
        invoice = self._post(self.customer, 100, date(2026, 6, 12))
        self.assertEqual(self._run(date(2026, 6, 20)), {})  # Saturday
        self.assertEqual(self._run(date(2026, 6, 22)), {})  # the holiday
        self.assertFalse(invoice.collection_level_id)
        self._run(date(2026, 6, 23))
        self.assertEqual(invoice.collection_level_id, self.levels[2])

    def test_email_and_letter(self):
        self._post(self.customer, 100, date(2026, 6, 12))
        self.customer.email = False
        contact = self.env["res.partner"].create(
            {
                "name": "Accounts",
                "parent_id": self.customer.id,
                "type": "invoice",
                "email": "pay@debtor.example.com",
            }
        )
        stats = self._run(MONDAY)
        self.assertEqual(stats["emails"], 1)
        history = self._history(self.customer)
        self.assertEqual(history.level_id, self.levels[2])
        self.assertEqual(history.mail_id.recipient_ids, contact)
        self.assertEqual(history.mail_id.state, "outgoing")  # queued, not sent
        self.assertIn("remain unpaid", history.mail_id.body_html)
        # The level has a letter: its PDF is attached when the queue sends the e-mail.
        self.assertEqual(history.mail_id.collection_letter_company_id, self.company)
        self.assertEqual(history.mail_id.collection_letter_level_id, self.levels[2])
        self.assertEqual(history.letter_state, "to_post")
        letters_task = self.env["mail.activity"].search(
            [("res_model", "=", "account.collection.ladder"), ("res_id", "=", self.ladder.id)]
        )
        self.assertEqual(letters_task.summary, "Letters to print and post")
        history.action_mark_posted()
        self.assertEqual(history.letter_state, "posted")

    def test_failed_email_is_visible_and_retried(self):
        """The mail server is down: the step stays recorded, the failure shows, Retry re-queues."""
        self._post(self.customer, 100, date(2026, 6, 12))
        self._run(MONDAY)
        history = self._history(self.customer)
        self.assertEqual(history.mail_state, "outgoing")
        IrMailServer = type(self.env["ir.mail_server"])
        with patch.object(IrMailServer, "_connect__", side_effect=ConnectionRefusedError("SMTP server down")):
            history.mail_id.send()
        self.assertEqual(history.mail_state, "exception")
        self.assertIn("SMTP server down", history.mail_id.failure_reason)
        History = self.env["account.collection.history"].with_user(self.collector)
        failed = History.search([("mail_state", "=", "exception")])
        self.assertEqual(failed, history)
        failed.action_retry_email()
        self.assertEqual(history.mail_state, "outgoing")
        self.assertEqual(self._run(MONDAY).get("emails", 0), 0, "no second e-mail for the same step")

    def test_missing_email_becomes_a_task(self):
        self.customer.email = False
        self._post(self.customer, 100, date(2026, 6, 12))
        stats = self._run(MONDAY)
        self.assertFalse(stats.get("emails"))
        self.assertEqual(stats["email_tasks"], 1)
        history = self._history(self.customer)
        self.assertFalse(history.mail_id)
        self.assertIn("No e-mail address", history.note)
        task = self.customer.activity_ids.filtered(lambda a: a.activity_type_id == self.env.ref(TODO))
        self.assertEqual(task.user_id, self.collector)

    def test_email_with_layout_keeps_its_letter(self):
        """A level's own template with a layout goes through Odoo's sending, letter included."""
        template = self.env.ref("account_collections.mail_template_collection_reminder").copy(
            {"email_layout_xmlid": "mail.mail_notification_light"}
        )
        self.levels[2].mail_template_id = template
        self._post(self.customer, 100, date(2026, 6, 12))
        self._post(self.other, 100, date(2026, 6, 12))
        stats = self._run(MONDAY)
        self.assertEqual(stats["emails"], 2)
        mails = (self._history(self.customer) | self._history(self.other)).mail_id
        self.assertEqual(mails.mapped("res_id"), [self.customer.id, self.other.id])
        self.assertEqual(mails.collection_letter_company_id, self.company)
        self.assertEqual(mails.collection_letter_level_id, self.levels[2])
        self.assertEqual(mails.recipient_ids, self.customer | self.other)
        self.assertIn("remain unpaid", mails[0].body_html)

    def test_legal_hand_over_stops_automatic_actions(self):
        claim = self._post(self.customer, 300, date(2026, 6, 5))  # claim: due + 5 working days
        lawyers = self._post(self.customer, 1000, date(2026, 5, 29))  # due + 10 working days = 12 June
        # Both already climbed the ladder: the demand on 8 June, the claim on 5 June.
        for move, position, reached in ((claim, 3, date(2026, 6, 8)), (lawyers, 4, date(2026, 6, 5))):
            move._collection_items()._collection_write_state(
                {
                    "collection_level_id": self.levels[position - 1].id,
                    "collection_level_sequence": position,
                    "collection_level_date": reached,
                }
            )
        (claim | lawyers)._collection_schedule()
        self.assertFalse(lawyers.collection_history_ids)
        stats = self._run(MONDAY)
        # The invoice lists its steps at once (the history's invoices are written in SQL).
        self.assertEqual(lawyers.collection_history_ids.level_id, self.levels[4])
        self.assertEqual(stats["legal"], 1)
        self.assertEqual(self.customer.collection_stage, "legal")
        elsewhere = self.setup_other_company(name="Elsewhere Co")["company"]
        self.assertNotEqual(self.customer.with_company(elsewhere).collection_stage, "legal")
        # One task for the manager about the customer, whatever the levels that ask for one.
        tasks = self.customer.activity_ids.filtered(lambda a: a.activity_type_id == self.env.ref(TODO))
        self.assertEqual(len(tasks), 1)
        self.assertEqual(tasks.user_id, self.manager)
        self.assertIn("Confirm the hand-over of Debtor", tasks.summary)
        for text in ("Claim", "Lawyers", claim.name, lawyers.name):
            self.assertIn(text, tasks.note)
        history = self._history(self.customer)
        self.assertEqual(history.mapped("level_id"), self.levels[4] | self.levels[3])
        self.assertEqual(history.filtered("did_legal").move_ids, lawyers)
        self.assertEqual(history.filtered("did_notify").move_ids, claim)
        self.assertEqual(history.create_uid, self.env.user)
        # Activities carry their document's name in the database, not only in the cache.
        self.env.invalidate_all()
        self.assertEqual(set((tasks | self._calls(self.customer)).mapped("res_name")), {self.customer.name})
        # The call says whose receivables it is about (the managers' figures count it there).
        self.assertEqual(self._calls(self.customer).collection_company_id, self.company)
        self._post(self.customer, 100, date(2026, 6, 18))
        self.assertEqual(self._run(date(2026, 6, 16)), {})
        self.assertEqual(self._history(self.customer), history, "no step after the hand-over")

    def test_responsible_resolution_and_handover(self):
        self.customer.user_id = self.collector_b  # salesperson
        self._post(self.customer, 100, date(2026, 6, 18))
        self._run(MONDAY)
        self.assertEqual(self._calls(self.customer).user_id, self.collector_b)
        self.other.with_user(self.manager).collection_user_id = self.manager
        self._post(self.other, 100, date(2026, 6, 18))
        self._run(MONDAY)
        self.assertEqual(self._calls(self.other).user_id, self.manager)
        # Above 500 overdue, the ladder hands the customer to its escalation collector.
        big = self.env["res.partner"].create(
            {"name": "Big Debtor", "is_company": True, "email": "b@x.example"}
        )
        big.user_id = self.collector
        self.ladder.write({"handover_user_id": self.collector_b.id, "handover_amount": 500})
        self._post(big, 1000, date(2026, 6, 5))
        self._run(MONDAY)  # the demand
        self.assertEqual(big.collection_user_id, self.collector_b)
        handed = big.message_ids.filtered(lambda m: "Collector changed" in m.body)
        self.assertIn("Collector changed from Collector A to Collector B by", handed.body)
        self.assertIn("the collection ladder's hand-over rule", handed.body)
        self._run(date(2026, 6, 19))  # the claim's call goes to the new collector
        self.assertEqual(self._calls(big).user_id, self.collector_b)

    def test_skip_rules(self):
        disputed = self._post(self.customer, 100, date(2026, 6, 18))
        disputed.collection_disputed = True
        excluded = self._post(self.other, 100, date(2026, 6, 18))
        promised = self._post(self.other, 200, date(2026, 6, 18))
        with patch.object(
            type(self.env["account.collection.run"]), "_collection_paused_move_ids", return_value=promised.ids
        ):
            self._run(MONDAY)
        self.assertFalse(disputed.collection_level_id)
        self.assertFalse(promised.collection_level_id)
        self.assertEqual(excluded.collection_level_id, self.levels[0])
        self.assertEqual(self._history(self.other).move_ids, excluded)

    def test_no_demand_for_money_already_paid(self):
        """An overdue invoice covered by a payment received but not yet matched: no e-mail, no
        letter, no call; the invoice does not climb. Once the payment is short of the debt by
        more than the company's threshold, the demand goes out for the difference only."""
        invoice = self._post(self.customer, 400, date(2026, 6, 12))
        payment = self._unmatched_credit(self.customer, 400, date(2026, 6, 12))
        self.assertEqual(self._run(MONDAY), {})
        self.assertFalse(self._calls(self.customer))
        self.assertFalse(self._history(self.customer))
        self.assertFalse(invoice.collection_level_id)
        # The payment was for something else after all; the customer paid 100 of this one.
        with freeze_time(MONDAY):
            payment._reverse_moves(cancel=True)
            self._unmatched_credit(self.customer, 100, MONDAY)
        self.company.sudo().collection_demand_threshold = 300
        self.assertEqual(self._run(MONDAY), {})
        self.company.sudo().collection_demand_threshold = 0
        stats = self._run(MONDAY)
        self.assertEqual(stats["emails"], 1)
        history = self._history(self.customer)
        self.assertEqual(history.level_id, self.levels[2])
        self.assertIn("$\xa0300.00", history.mail_id.body_html)
        self.assertIn("Credit in your favour", history.mail_id.body_html)
        # The claim's call says what to ask for.
        self._run(date(2026, 6, 19))
        self.assertIn("Ask for $\xa0300.00", str(self._calls(self.customer).note))

    def test_steps_before_the_due_date_ignore_credits(self):
        """The courtesy call before the due date is not a demand: it happens even when an
        unmatched payment already covers the invoice."""
        self._post(self.customer, 100, date(2026, 6, 18))
        self._unmatched_credit(self.customer, 100, MONDAY)
        self._run(MONDAY)
        self.assertEqual(self._calls(self.customer).date_deadline, MONDAY)

    def test_payment_closes_pending_calls(self):
        invoice = self._post(self.customer, 100, date(2026, 6, 18))
        self._run(MONDAY)
        self.assertTrue(self._calls(self.customer))
        with freeze_time(MONDAY):
            self._pay(invoice, 100, MONDAY)
        self.assertFalse(self._calls(self.customer))
        self.assertFalse(invoice.collection_next_date)
        self.assertEqual(self._run(date(2026, 6, 18)), {})

    def test_interrupted_run_resumes_without_duplicates(self):
        partners = (
            self.customer
            | self.other
            | self.env["res.partner"].create({"name": "Third", "email": "t@x.example"})
        )
        for partner in partners:
            self._post(partner, 100, date(2026, 6, 18))
        Run = type(self.env["account.collection.run"])
        original = Run._collection_run_batch
        calls = []

        def failing(self, *args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("worker killed")
            return original(self, *args, **kwargs)

        # Not assertRaises: Odoo's version rolls back to a savepoint taken before the run.
        with patch.object(Run, "_collection_run_batch", failing):
            try:
                self._run(MONDAY, batch_size=1)
            except RuntimeError as error:
                self.assertEqual(str(error), "worker killed")
            else:
                self.fail("the run should have died in batch 2")
        histories = self.env["account.collection.history"].search([("partner_id", "in", partners.ids)])
        self.assertEqual(len(histories), 1)  # batch 1 kept, batch 2 rolled back
        stats = self._run(MONDAY, batch_size=1)
        self.assertEqual(stats["history"], 2)
        histories = self.env["account.collection.history"].search([("partner_id", "in", partners.ids)])
        self.assertEqual(histories.partner_id, partners)
        self.assertEqual(len(histories), 3)

    def test_concurrent_worker_skips_locked_customers(self):
        self._post(self.customer, 100, date(2026, 6, 18))
        self._post(self.other, 100, date(2026, 6, 18))
        # A second database connection, as another worker would hold it: for this company or
        # another, the customer is the same (its call of the day, its followers, its collector).
        with sql_db.db_connect(self.env.cr.dbname).cursor() as other_worker:
            other_worker.execute("SELECT pg_advisory_xact_lock(%s, %s)", (CUSTOMER_LOCK, self.customer.id))
            stats = self._run(MONDAY)
            other_worker.rollback()
        self.assertEqual(stats["calls"], 1)
        self.assertFalse(self._calls(self.customer))
        self.assertTrue(self._calls(self.other))
        # Once the other worker is done, the next run catches up without duplicating.
        self.assertEqual(self._run(MONDAY)["calls"], 1)
        self.assertEqual(len(self._calls(self.other)), 1)
        self.assertEqual(len(self._calls(self.customer)), 1)

    def test_query_count_is_batched(self):
        def scenario(customers, per_customer):
            partners = self.env["res.partner"].create(
                [{"name": f"Q{customers}-{i}", "email": f"q{i}@x.example"} for i in range(customers)]
            )
            with freeze_time(MONDAY):
                moves = self.env["account.move"].create(
                    [
                        prepare_invoice_vals(partner, 100 + n, due, invoice_date=date(2026, 5, 1))
                        for partner in partners
                        for n, due in enumerate([date(2026, 6, 18), date(2026, 6, 12)][:per_customer] * 5)
                    ][: customers * per_customer]
                )
                # Hundreds of new rows in a fresh database: give the planner statistics that
                # see them, or posting's payment-state query may pick a plan taking minutes.
                self.env.flush_all()
                self.env.cr.execute(SQL("ANALYZE account_move, account_move_line, account_partial_reconcile"))
                self._post_as_data(moves)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            stats = self._run(MONDAY)
            count = self.env.cr.sql_log_count - before
            self.env["account.move"].search([("id", "in", moves.ids)]).button_draft()
            return count, stats

        self._run(MONDAY)  # warm caches
        small, small_stats = scenario(5, 10)
        large, large_stats = scenario(50, 10)
        self.assertEqual(small_stats["history"], 10)
        self.assertEqual(large_stats["history"], 100)
        self.assertLessEqual(large - small, 40, f"50 invoices: {small} queries, 500 invoices: {large}")

    # ------------------------------------------------------------------
    # Configuration
    # ------------------------------------------------------------------
    def test_ladder_rejects_bad_configuration(self):
        Ladder = self.env["account.collection.ladder"]
        with self.assertRaisesRegex(ValidationError, "at least one level"):
            Ladder.create({"name": "Empty"})
        with self.assertRaisesRegex(ValidationError, "tick at least one action"):
            Ladder.create({"name": "Idle", "level_ids": [(0, 0, {"name": "Nothing", "offset_days": 1})]})
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            Ladder.create(
                {
                    "name": "Twice",
                    "level_ids": [
                        (0, 0, {"name": "A", "offset_days": 1, "action_call": True}),
                        (0, 0, {"name": "B", "offset_days": 1, "action_call": True}),
                    ],
                }
            )
