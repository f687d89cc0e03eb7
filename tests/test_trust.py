"""No rule can be bypassed: what a wizard or button enforces, the models enforce for every
path and role; context keys grant nothing; conflicts between runs lose no customer."""

import logging
from datetime import date, timedelta
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2.errors import OutOfMemory, SerializationFailure

from odoo import Command, fields
from odoo.exceptions import AccessError, RedirectWarning, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from odoo.addons.account_collections.models import account_collection_run as run_module
from odoo.addons.account_collections.models.account_collection_run import AccountCollectionRun

from .common import CollectionsCommon, public_holidays

TODAY = date(2026, 6, 15)  # a Monday
CALL = "account_collections.mail_activity_type_collection_call"
TODO = "account_collections.mail_activity_type_collection_todo"


def day(n):
    return TODAY + timedelta(days=n)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestTrust(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.call_type = cls.env.ref(CALL)
        cls.invoice = cls._invoice(cls.customer, 1000, day(0), invoice_date=day(-30))
        cls.invoicing_user = new_test_user(
            cls.env,
            login="invoicing_clerk",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
        )

    def _run(self, today, **kwargs):
        with freeze_time(today):
            return self.env["account.collection.run"]._collection_run(self.company, today=today, **kwargs)

    def _calls(self, partner):
        return partner.activity_ids.filtered(lambda a: a.activity_type_id == self.call_type)

    def _promise_vals(self, **values):
        return {
            "partner_id": self.customer.id,
            "move_ids": [Command.set(self.invoice.ids)],
            "currency_id": self.invoice.currency_id.id,
            "amount": 400,
            "date": day(7),
            **values,
        }

    # ------------------------------------------------------------------
    # Promises: the wizard's rules on create, states only through actions
    # ------------------------------------------------------------------
    def test_promise_rules_hold_on_create(self):
        Promise = self.env["account.collection.promise"].with_user(self.collector)
        paid = self._invoice(self.customer, 100, day(0))
        self._pay(paid, 100, day(0))
        refused = {
            "past date": (self._promise_vals(date=day(-1)), "cannot be in the past"),
            "beyond the horizon": (self._promise_vals(date=day(60)), "at most 30 days ahead"),
            "above the open amount": (self._promise_vals(amount=1500), "exceeds the open amount"),
            "paid invoice": (
                self._promise_vals(move_ids=[Command.set(paid.ids)], amount=50),
                "open invoices only",
            ),
            "already kept": (self._promise_vals(state="kept"), "recorded open"),
            "with payments": (self._promise_vals(paid_amount=400), "recorded open"),
            "backdated agreement": (self._promise_vals(date_start=day(-20)), "on the day it is agreed"),
        }
        for case, (vals, message) in refused.items():
            with self.subTest(case=case), self.assertRaisesRegex(ValidationError, message):
                Promise.create(vals)
        # Instalments of one plan count together against the open amount.
        with self.assertRaisesRegex(ValidationError, "exceeds the open amount"):
            Promise.create([self._promise_vals(amount=600), self._promise_vals(amount=600, date=day(14))])
        self.assertFalse(
            self.env["account.collection.promise"].search([("partner_id", "=", self.customer.id)])
        )
        promise = Promise.create(self._promise_vals())
        self.assertEqual(
            (promise.state, promise.date_start, promise.user_id), ("open", TODAY, self.collector)
        )

    def test_promise_state_changes_only_through_its_actions(self):
        promise = (
            self.env["account.collection.promise"].with_user(self.collector).create(self._promise_vals())
        )
        for user in (self.collector, self.manager):
            for vals in ({"state": "kept"}, {"state": "cancelled"}, {"paid_amount": 400}, {"date": day(20)}):
                with self.subTest(user=user.login, vals=vals), self.assertRaises(UserError):
                    promise.with_user(user).write(vals)
            # The old "evaluation" context key is no authority.
            with self.assertRaises(UserError):
                promise.with_user(user).with_context(collection_promise_evaluation=True).write(
                    {"state": "kept"}
                )
        self.assertEqual(promise.state, "open")
        with self.assertRaises(AccessError):
            promise.with_user(self.collector).action_cancel("Customer asked")
        promise.with_user(self.manager).action_cancel("Agreed with sales")
        self.assertEqual((promise.state, promise.cancel_reason), ("cancelled", "Agreed with sales"))

    # ------------------------------------------------------------------
    # Calls end with an outcome, whatever the path
    # ------------------------------------------------------------------
    def test_call_closes_only_with_an_outcome(self):
        self._run(TODAY)
        call = self._calls(self.customer)
        self.assertEqual(len(call), 1)
        as_collector = call.with_user(self.collector)
        with self.assertRaises(RedirectWarning) as refusal:
            as_collector.with_context(collection_outcome_recorded=True).action_feedback(feedback="done")
        # An expected refusal: the HTTP layer logs it at this level, not as a server error.
        self.assertEqual(refusal.exception.loglevel, logging.INFO)
        for attempt in (
            lambda: as_collector.write({"active": False}),
            lambda: as_collector.with_context(collection_system_close=True).action_archive(),
            lambda: as_collector.with_context(collection_system_close=True).unlink(),
        ):
            with self.assertRaises(UserError):
                attempt()
        self.assertTrue(call.active)
        self.env["account.collection.call"].with_user(self.collector)._collection_log(
            self.customer,
            self.env.ref("account_collections.account_collection_outcome_satisfied"),
            self.invoice,
            activity=call,
        )
        self.assertFalse(call.active)
        # Other activities of the customer close as usual.
        note = self.customer.activity_schedule("mail.mail_activity_data_todo", user_id=self.collector.id)
        note.with_user(self.collector).action_feedback(feedback="ok")
        self.assertFalse(note.active)

    # ------------------------------------------------------------------
    # Credit hold: only the manager's override, with its reason
    # ------------------------------------------------------------------
    def test_hold_override_is_no_context_key(self):
        self.company.sudo().collection_credit_hold = True
        self._invoice(self.customer, 500, day(-40))  # 40 days overdue, no tolerance: on hold
        draft = self._invoice(self.customer, 100, day(30), post=False)
        for user in (self.invoicing_user, self.collector):
            with self.subTest(user=user.login), self.assertRaisesRegex(UserError, "on credit hold"):
                draft.with_user(user).with_context(collection_hold_override=True).action_post()
            with self.assertRaises(AccessError):
                draft.with_user(user)._collection_post_with_override("I say so")
            with self.assertRaises(AccessError):
                draft.with_user(user).write({"collection_hold_override_reason": "I say so"})
        self.assertEqual(draft.state, "draft")
        with self.assertRaisesRegex(UserError, "Give the reason"):
            draft.with_user(self.manager)._collection_post_with_override("  ")
        self.assertEqual(draft.state, "draft")
        draft.with_user(self.manager)._collection_post_with_override("Paid by wire this morning")
        self.assertEqual(draft.state, "posted")
        self.assertEqual(draft.collection_hold_override_reason, "Paid by wire this morning")
        # The grant ended with the override: the next invoice is refused again.
        other = self._invoice(self.customer, 100, day(30), post=False)
        with self.assertRaisesRegex(UserError, "on credit hold"):
            other.with_user(self.invoicing_user).action_post()

    def test_a_level_id_from_the_client_reads_no_other_company(self):
        """The letter level comes from a wizard field or a report's context: a level of another
        company is never read, its text never sent."""
        elsewhere = self.setup_other_company(name="Secret Co")["company"]
        secret = (
            self.env["account.collection.ladder"]
            .create(
                {
                    "name": "Their ladder",
                    "company_id": elsewhere.id,
                    "level_ids": [
                        Command.create(
                            {
                                "name": "Theirs",
                                "action_email": True,
                                "letter_title": "Their confidential title",
                            }
                        )
                    ],
                }
            )
            .level_ids
        )
        template = self.env.ref("account_collections.mail_template_collection_reminder")
        Partner = self.customer.with_user(self.collector)
        for mails in (
            Partner._collection_send_reminders(template, level=secret),
            Partner.with_context(collection_level_id=secret.id)._collection_send_reminders(template),
        ):
            self.assertTrue(mails)
            self.assertNotIn("Their confidential title", mails.body_html)
            self.assertNotIn("Their confidential title", self.customer.message_ids[0].body)

    # ------------------------------------------------------------------
    # Collector changes: managers only, and the work follows the customer
    # ------------------------------------------------------------------
    def test_collector_change_moves_the_open_work(self):
        self.customer.with_user(self.manager).collection_user_id = self.collector
        self._run(TODAY)
        call = self._calls(self.customer)
        self.assertEqual(call.user_id, self.collector)
        todo = self.customer.activity_schedule(TODO, user_id=self.collector.id, summary="Send the statement")
        review = self.customer.activity_schedule(TODO, user_id=self.manager.id, summary="Review")
        with self.assertRaisesRegex(UserError, "Only collections managers"):
            self.customer.with_user(self.collector_b).write({"collection_user_id": self.collector_b.id})
        self.assertEqual(call.user_id, self.collector)
        self.customer.with_user(self.manager).write({"collection_user_id": self.collector_b.id})
        self.assertEqual(self.customer.collection_user_id, self.collector_b)
        self.assertEqual((call | todo).user_id, self.collector_b)
        self.assertEqual(review.user_id, self.manager, "a manager's task stays with the manager")
        log = self.customer.message_ids[0].body
        self.assertIn("Collector changed from Collector A to Collector B by Collections Manager", log)

    def test_handover_rule_takes_the_open_call_along(self):
        self.ladder.write({"handover_user_id": self.collector_b.id, "handover_level_sequence": 4})
        self.customer.with_user(self.manager).collection_user_id = self.collector
        self._run(TODAY)  # the due-date call, for collector A
        first_call = self._calls(self.customer)
        self.assertEqual(first_call.user_id, self.collector)
        self._run(day(1))  # the demand (e-mail and letter)
        self.assertEqual(self.customer.collection_user_id, self.collector)
        self._run(day(7))  # the claim (level 4): the rule hands the customer over
        self.assertEqual(self.customer.collection_user_id, self.collector_b)
        self.assertEqual(self._calls(self.customer).user_id, self.collector_b)
        self.assertIn(first_call, self._calls(self.customer))

    # ------------------------------------------------------------------
    # Levels in use are archived, not deleted
    # ------------------------------------------------------------------
    def test_level_in_use_is_archived_not_deleted(self):
        self._run(TODAY)
        due_call = self.levels[1]
        self.assertEqual(self.invoice.collection_level_id, due_call)
        with self.assertRaisesRegex(UserError, "archive them instead"):
            due_call.with_user(self.manager).unlink()
        with self.assertRaisesRegex(UserError, "archive it instead"):
            self.ladder.with_user(self.manager).unlink()
        due_call.with_user(self.manager).action_archive()
        self.assertEqual(self.invoice.collection_level_id, due_call)
        history = self.env["account.collection.history"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(history.level_id, due_call)
        # The invoice goes on to the next active level, not back to the first one.
        self._run(day(1))
        self.assertEqual(self.invoice.collection_level_id, self.levels[2])
        unused = self.env["account.collection.ladder.level"].create(
            {"ladder_id": self.ladder.id, "name": "Unused", "offset_days": 40, "action_call": True}
        )
        unused.with_user(self.manager).unlink()
        self.assertFalse(unused.exists())

    # ------------------------------------------------------------------
    # States change only through their actions
    # ------------------------------------------------------------------
    def test_states_change_only_through_their_actions(self):
        self._run(TODAY)
        call = (
            self.env["account.collection.call"]
            .with_user(self.collector)
            ._collection_log(
                self.customer,
                self.env.ref("account_collections.account_collection_outcome_refused"),
                self.invoice,
            )
        )
        for vals in ({"review_state": "reviewed"}, {"reviewer_id": self.manager.id}):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                call.with_user(self.manager).write(vals)
        call.with_user(self.manager).write({"review_rating": "4", "review_comment": "Firm and polite"})
        call.with_user(self.manager).action_review()
        self.assertEqual((call.review_state, call.reviewer_id), ("reviewed", self.manager))

        request = (
            self.env["account.collection.credit.request"]
            .with_user(self.collector)
            .create(
                {"partner_id": self.customer.id, "change_tolerance": True, "tolerance_days": 9, "reason": "x"}
            )
        )
        with self.assertRaisesRegex(UserError, "decided with Approve or Refuse"):
            request.with_user(self.manager).write({"state": "approved"})
        self.assertEqual(self.customer.collection_tolerance_days, 0)
        request.with_user(self.manager).action_approve()
        self.assertEqual(self.customer.collection_tolerance_days, 9)
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            request.with_user(self.manager).write({"tolerance_days": 90})

        history = self.env["account.collection.history"].search([("partner_id", "=", self.customer.id)])
        self.assertTrue(history)
        for user in (self.collector, self.manager):
            with self.subTest(user=user.login), self.assertRaisesRegex(UserError, "is a log"):
                history.with_user(user).write({"note": "rewritten", "did_email": True})

    # ------------------------------------------------------------------
    # Concurrent runs: retried or reported, never silently skipped
    # ------------------------------------------------------------------
    def test_busy_customer_is_retried(self):
        lock = AccountCollectionRun._collection_lock_partners
        attempts = []

        def first_busy(records, partner_ids):
            # Another transaction holds the customer the first time only.
            attempts.append(list(partner_ids))
            locked = lock(records, partner_ids)
            return [pid for pid in locked if len(attempts) > 1 or pid != self.customer.id]

        with patch.object(AccountCollectionRun, "_collection_lock_partners", first_busy):
            stats = self._run(TODAY)
        self.assertEqual(attempts, [self.customer.ids, self.customer.ids])
        self.assertNotIn("skipped", stats)
        self.assertEqual(self._calls(self.customer).user_id, self.collector)
        self.assertEqual(self.invoice.collection_level_id, self.levels[1])

    def test_customer_busy_for_good_is_reported(self):
        with (
            patch.object(AccountCollectionRun, "_collection_lock_partners", lambda *args: []),
            self.assertLogs(
                "odoo.addons.account_collections.models.account_collection_run", "WARNING"
            ) as logs,
        ):
            stats = self._run(TODAY)
        self.assertEqual(stats["skipped"], 1)
        self.assertIn("left for the next run", logs.output[0])
        self.assertFalse(self.invoice.collection_level_id)
        # The next run takes it up.
        self.assertEqual(self._run(TODAY).get("skipped"), None)
        self.assertEqual(self.invoice.collection_level_id, self.levels[1])

    def test_customer_with_an_item_held_elsewhere_waits_whole(self):
        """An item another transaction holds (a payment being reconciled) keeps its whole
        customer out of the batch, even when it is booked on one of the customer's contacts:
        no step is taken on part of what the customer owes; the customer is tried again once
        the other transaction is done."""
        contact = self.env["res.partner"].create({"name": "Accounts clerk", "parent_id": self.customer.id})
        second = self._opening_balance(300, day(0), partner=contact)
        other = self.env["res.partner"].create({"name": "Other Customer", "email": "other@example.com"})
        other_invoice = self._invoice(other, 200, day(0), invoice_date=day(-30))
        held = second._collection_items()
        Line = type(self.env["account.move.line"])
        lock_facts = Line._collection_lock_facts
        attempts = []

        def held_once(records, query):
            facts, locked = lock_facts(records, query)
            attempts.append(set(facts))
            # The first attempt finds one item locked by another transaction.
            return facts, locked - set(held.ids) if len(attempts) == 1 else locked

        with patch.object(Line, "_collection_lock_facts", held_once):
            stats = self._run(TODAY)
        self.assertEqual(len(attempts), 2)
        self.assertIn(held.id, attempts[0])
        # Tried again without the other customer, already done.
        other_item = other_invoice._collection_items()
        self.assertIn(other_item.id, attempts[0])
        self.assertNotIn(other_item.id, attempts[1])
        self.assertEqual(attempts[1], set((self.invoice | second)._collection_items().ids))
        self.assertNotIn("skipped", stats)
        self.assertEqual(stats["customers"], 2)
        self.assertEqual(len(self._calls(self.customer)), 1)
        self.assertEqual((self.invoice | other_invoice).mapped("collection_level_id"), self.levels[1])
        self.assertTrue(held.collection_level_id)

    def test_items_are_locked_and_read_in_one_statement(self):
        """The run's batch reads its items' facts as the records hold them and locks them (FOR
        NO KEY UPDATE: payments may still reference them), in one statement. It takes them
        customer by customer, earliest due first, whatever the names: an entry booked on the
        customer's contact comes among the customer's own items, and a customer named first but
        made later comes after it. The preview takes them in that order too."""
        contact = self.env["res.partner"].create(
            {"name": "Zed, accounts clerk", "parent_id": self.customer.id}
        )
        earlier = self._invoice(self.customer, 300, day(-3), invoice_date=day(-30))
        entry = self._opening_balance(200, day(-5), partner=contact)
        named_first = self.env["res.partner"].create({"name": "AAA Named First", "email": "aaa@example.com"})
        other = self._invoice(named_first, 100, day(-10), invoice_date=day(-30))
        customers = (self.customer | named_first).ids
        Run = self.env["account.collection.run"].with_company(self.company)
        Line = self.env["account.move.line"].sudo().with_company(self.company)
        Line._collection_adopt_open_items(self.company)
        expected = [move._collection_items().id for move in (entry, earlier, self.invoice, other)]
        statements = []
        execute = type(self.env.cr).execute

        def record(cr, query, *args, **kwargs):
            statements.append(str(query))
            return execute(cr, query, *args, **kwargs)

        with patch.object(type(self.env.cr), "execute", record):
            facts, locked = Line._collection_lock_facts(
                Line._search(Run._collection_due_items_domain(self.company, TODAY, customers))
            )
        self.assertEqual(list(facts), expected)
        self.assertEqual(locked, set(expected))
        [statement] = [query for query in statements if "SKIP LOCKED" in query]
        self.assertRegex(statement, r"FOR NO KEY UPDATE OF \w+ SKIP LOCKED")
        self.assertEqual(list(Run._collection_due_facts(self.company, TODAY, customers)), expected)
        for line in Line.browse(expected):
            item = facts[line.id]
            self.assertEqual(
                (
                    item.partner_id,
                    item.date,
                    item.date_maturity,
                    item.move_id,
                    item.move_name,
                    item.currency_id,
                    item.amount_residual,
                    item.amount_residual_currency,
                    item.placed,
                    item.ladder_id,
                    item.level_id,
                    item.next_level_id,
                    item.next_date,
                ),
                (
                    line.partner_id.commercial_partner_id.id,
                    line.date,
                    line.date_maturity,
                    line.move_id.id,
                    line.move_name,
                    line.currency_id.id,
                    line.amount_residual,
                    line.amount_residual_currency,
                    bool(line.collection_item_id),
                    line.collection_ladder_id.id,
                    line.collection_level_id.id or None,
                    line.collection_next_level_id.id or None,
                    line.collection_next_date,
                ),
            )

    def test_full_lock_table_makes_smaller_batches(self):
        """PostgreSQL's lock table full (other workers hold the locks of thousands of customers):
        the batch is split and done, not failed; at the smallest size it waits for the others,
        and what is still left is reported for the next run."""
        other = self.env["res.partner"].create({"name": "Other Customer", "email": "other@example.com"})
        other_invoice = self._invoice(other, 200, day(0), invoice_date=day(-30))
        lock = AccountCollectionRun._collection_lock_partners
        sizes = []

        def full_above_one(records, partner_ids):
            sizes.append(len(partner_ids))
            if len(partner_ids) > 1:
                raise OutOfMemory("out of shared memory")
            return lock(records, partner_ids)

        with (
            patch.object(run_module, "MIN_BATCH_SIZE", 1),
            patch.object(AccountCollectionRun, "_collection_lock_partners", full_above_one),
        ):
            stats = self._run(TODAY)
        self.assertEqual(sizes, [2, 1, 1])
        self.assertNotIn("skipped", stats)
        self.assertEqual(stats["customers"], 2)
        self.assertEqual((self.invoice | other_invoice).mapped("collection_level_id"), self.levels[1])

    def test_lock_table_full_for_good_is_reported(self):
        def always_full(records, partner_ids):
            raise OutOfMemory("out of shared memory")

        with (
            patch.object(run_module, "MIN_BATCH_SIZE", 1),
            patch.object(AccountCollectionRun, "_collection_lock_partners", always_full),
            self.assertLogs("odoo.addons.account_collections.models.account_collection_run", "INFO") as logs,
        ):
            stats = self._run(TODAY)
        self.assertEqual(stats["skipped"], 1)
        self.assertTrue(any("left for the next run" in line for line in logs.output))
        self.assertFalse([line for line in logs.output if line.startswith("ERROR")])
        self.assertFalse(self.invoice.collection_level_id)

    def test_serialization_conflict_is_retried(self):
        run_batch = AccountCollectionRun._collection_run_batch
        conflicts = [SerializationFailure("could not serialize access due to concurrent update")]

        def conflict_once(records, *args, **kwargs):
            if conflicts:
                raise conflicts.pop()
            return run_batch(records, *args, **kwargs)

        with patch.object(AccountCollectionRun, "_collection_run_batch", conflict_once):
            stats = self._run(TODAY)
        self.assertFalse(conflicts)
        self.assertNotIn("skipped", stats)
        self.assertEqual(self.invoice.collection_level_id, self.levels[1])

    def test_run_now_is_the_scheduled_job(self):
        cron = self.env.ref("account_collections.ir_cron_collection_ladder")
        with self.assertRaises(AccessError):
            self.env["account.collection.run"].with_user(self.collector).action_collection_run_now()
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        action = self.env["account.collection.run"].with_user(self.manager).action_collection_run_now()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1)
        self.assertFalse(self.invoice.collection_level_id, "nothing ran in the manager's request")

    # ------------------------------------------------------------------
    # The test calendar (CI also runs the suite on one of its holidays)
    # ------------------------------------------------------------------
    def test_test_calendar_has_its_public_holiday(self):
        christmas = date(2026, 12, 25)  # a Friday
        self.assertIn(christmas, public_holidays())
        days = self.company._collection_workdays(date(2026, 12, 20), date(2026, 12, 31))
        self.assertNotIn(christmas, days.dates)
        self.assertEqual(days.shift(date(2026, 12, 24), 1), date(2026, 12, 28))

    def test_a_reminder_renders_customers_only(self):
        """A reminder's template is the sender's choice: one of another model (a password reset
        of users) would render whatever record shares the customers' ids. Refused, and never
        rendered as superuser in the preview."""
        reset = self.env.ref("auth_signup.set_password_email", raise_if_not_found=False) or self.env[
            "mail.template"
        ].create({"name": "Users", "model_id": self.env["ir.model"]._get_id("res.users"), "body_html": "x"})
        self._invoice(self.customer, 100, date(2026, 6, 1))
        with self.assertRaisesRegex(UserError, "template of customers"):
            self.customer.with_user(self.collector)._collection_send_reminders(reset)
        wizard = (
            self.env["account.collection.reminder.send"]
            .with_user(self.collector)
            .create({"partner_ids": self.customer.ids, "template_id": reset.id})
        )
        self.assertFalse(wizard.preview)


@tagged("post_install", "-at_install")
class TestTrustRpc(CollectionsCommon, HttpCase):
    """Each bypass found through RPC, sent as a client sends it (JSON-RPC), changes nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Real dates: requests are served by the HTTP server, outside any frozen clock.
        today = fields.Date.today()
        cls.company.sudo().collection_credit_hold = True
        cls.old = cls._invoice(
            cls.customer, 500, today - timedelta(days=40), invoice_date=today - timedelta(days=70)
        )
        cls.draft = cls._invoice(cls.customer, 100, today + timedelta(days=30), post=False)
        cls.invoicing_user = new_test_user(
            cls.env, login="invoicing_rpc", groups="account.group_account_invoice", company_id=cls.company.id
        )
        cls.call = cls.customer.activity_schedule(CALL, user_id=cls.collector.id, summary="Due call")
        cls.level = cls.levels[1]
        cls.env["account.collection.history"].create(
            {"partner_id": cls.customer.id, "level_id": cls.level.id, "ladder_id": cls.ladder.id}
        )

    def _rpc(self, login, model, method, *args, context=None, **kwargs):
        self.authenticate(login, login)
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {
                "model": model,
                "method": method,
                "args": list(args),
                "kwargs": {**kwargs, "context": {"allowed_company_ids": self.company.ids, **(context or {})}},
            },
        )

    def assertRefused(self, error, login, model, method, *args, **kwargs):
        with self.assertRaises(JsonRpcException) as refusal:
            self._rpc(login, model, method, *args, **kwargs)
        self.assertEqual(refusal.exception.args[0], error)

    def test_context_keys_grant_nothing(self):
        self.assertRefused(
            "odoo.exceptions.UserError",
            "invoicing_rpc",
            "account.move",
            "action_post",
            self.draft.ids,
            context={"collection_hold_override": True},
        )
        self.assertEqual(self.draft.state, "draft")
        self.assertRefused(
            "odoo.exceptions.RedirectWarning",
            "collector_a",
            "mail.activity",
            "action_feedback",
            self.call.ids,
            context={"collection_outcome_recorded": True, "collection_system_close": True},
        )
        self.assertRefused(
            "odoo.exceptions.UserError",
            "collector_a",
            "mail.activity",
            "write",
            self.call.ids,
            {"active": False},
        )
        self.assertTrue(self.call.active)

    def test_private_and_protected_paths_are_closed(self):
        self.assertRefused(
            "odoo.exceptions.AccessError",
            "collections_manager",
            "account.move",
            "_collection_post_with_override",
            self.draft.ids,
            "wired",
        )
        self.assertEqual(self.draft.state, "draft")
        self.assertRefused(
            "odoo.exceptions.UserError",
            "collector_a",
            "res.partner",
            "write",
            self.customer.ids,
            {"collection_user_id": self.collector_b.id},
        )
        self.assertFalse(self.customer.collection_user_id)
        self.assertRefused(
            "odoo.exceptions.UserError",
            "collections_manager",
            "account.collection.ladder.level",
            "unlink",
            self.level.ids,
        )
        self.assertTrue(self.level.exists())

    def test_promises_follow_the_rules(self):
        today = fields.Date.today()
        vals = {
            "partner_id": self.customer.id,
            "move_ids": [Command.set(self.old.ids)],
            "currency_id": self.old.currency_id.id,
            "amount": 100,
            "date": fields.Date.to_string(today + timedelta(days=5)),
        }
        for bad in (
            {"date": fields.Date.to_string(today - timedelta(days=1))},
            {"amount": 5000},
            {"state": "kept"},
        ):
            with self.subTest(bad=bad):
                self.assertRefused(
                    "odoo.exceptions.ValidationError",
                    "collector_a",
                    "account.collection.promise",
                    "create",
                    {**vals, **bad},
                )
        Promise = self.env["account.collection.promise"]
        self.assertFalse(Promise.search([("partner_id", "=", self.customer.id)]))
        promise_id = self._rpc("collector_a", "account.collection.promise", "create", vals)
        self.assertRefused(
            "odoo.exceptions.UserError",
            "collector_a",
            "account.collection.promise",
            "write",
            [promise_id],
            {"state": "kept"},
            context={"collection_promise_evaluation": True},
        )
        self.assertEqual(Promise.browse(promise_id).state, "open")

    def test_credit_request_through_rpc_changes_only_its_terms(self):
        self.customer.write({"credit_limit": 5000, "use_partner_credit_limit": True})
        request_id = self._rpc(
            "collector_a",
            "account.collection.credit.request",
            "create",
            {
                "partner_id": self.customer.id,
                "change_tolerance": True,
                "tolerance_days": 20,
                "reason": "Audit",
            },
        )
        self.assertRefused(
            "odoo.exceptions.AccessError",
            "collector_a",
            "account.collection.credit.request",
            "write",
            [request_id],
            {"state": "approved"},
        )
        self._rpc("collections_manager", "account.collection.credit.request", "action_approve", [request_id])
        self.assertEqual(self.customer.credit_limit, 5000)
        self.assertEqual(self.customer.collection_tolerance_days, 20)
