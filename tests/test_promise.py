from datetime import date, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, RedirectWarning, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import CollectionsCommon

TODAY = date(2026, 6, 15)  # a Monday
CALL = "account_collections.mail_activity_type_collection_call"


def day(n):
    return TODAY + timedelta(days=n)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestPromises(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2020-01-01", 2.0)])
        cls.inv1 = cls._invoice(cls.customer, 600, day(-5), invoice_date=day(-40))
        cls.inv2 = cls._invoice(cls.customer, 400, day(-3), invoice_date=day(-40))
        cls.outcome = {
            kind: cls.env.ref(f"account_collections.account_collection_outcome_{kind}")
            for kind in (
                "promise",
                "paid",
                "dispute",
                "refused",
                "no_answer",
                "wrong_contact",
                "call_back",
                "satisfied",
            )
        }
        cls.call_type = cls.env.ref(CALL)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _planned_call(self, partner=None, user=None):
        partner = partner or self.customer
        return self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": partner.id,
                "activity_type_id": self.call_type.id,
                "summary": "Due-date call",
                "date_deadline": TODAY,
                "user_id": (user or self.collector).id,
            }
        )

    def _wizard(self, user=None, activity=None, moves=None, **values):
        user = user or self.collector
        context = {"default_partner_id": self.customer.id}
        if activity:
            context["default_activity_id"] = activity.id
        form = Form(self.env["account.collection.call.register"].with_user(user).with_context(**context))
        if moves is not None:
            form.move_ids.clear()
            for move in moves:
                form.move_ids.add(move)
        for name, value in values.items():
            setattr(form, name, value)
        return form

    def _promise(self, moves, amount, promised, user=None):
        return (
            self.env["account.collection.call"]
            .with_user(user or self.collector)
            ._collection_log(
                self.customer, self.outcome["promise"], moves, details={"lines": [(amount, promised)]}
            )
            .promise_ids
        )

    def _calls(self, partner=None):
        partner = partner or self.customer
        partner.invalidate_recordset(["activity_ids"])  # activities are created with sudo
        return partner.activity_ids.filtered(lambda a: a.activity_type_id == self.call_type)

    # ------------------------------------------------------------------
    # The wizard and its validation
    # ------------------------------------------------------------------
    def test_promise_through_the_wizard_closes_the_activity(self):
        activity = self._planned_call()
        form = self._wizard(activity=activity, outcome_id=self.outcome["promise"])
        self.assertEqual(form.open_amount, 1000)
        form.promise_amount = 1000
        form.promise_date = day(5)
        form.save().action_confirm()
        self.assertFalse(activity.active)  # done: archived by Odoo
        call = self.env["account.collection.call"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(call.outcome_id, self.outcome["promise"])
        self.assertEqual(call.user_id, self.collector)
        self.assertEqual(call.activity_summary, "Due-date call")
        self.assertEqual(call.promise_ids.amount, 1000)
        self.assertEqual(call.promise_ids.move_ids, self.inv1 | self.inv2)
        self.assertEqual(call.promise_ids.state, "open")
        self.assertEqual(self.customer.collection_promise_count, 1)
        self.assertEqual(self.inv1.collection_promise_count, 1)
        self.assertEqual(
            self.inv1.action_collection_promises()["domain"], [("move_ids", "in", self.inv1.ids)]
        )

    def test_the_wizard_prepares_the_call_and_the_chatter_keeps_it(self):
        """Before calling: the number to dial, what was agreed last time and what to say. After:
        one message on the customer with the outcome, the reason given and the notes."""
        self.customer.phone = "+36 1 555 0100"
        self.inv1._collection_items()._collection_write_state(
            {"collection_level_id": self.levels[2].id, "collection_level_sequence": 3}
        )
        self.levels[2].talking_points = "<p>Paying today keeps your 2% discount.</p>"
        self._promise(self.inv2, 400, day(3))
        activity = self._planned_call()
        form = self._wizard(activity=activity, outcome_id=self.outcome["refused"])
        self.assertEqual(form.phone, "+36 1 555 0100")
        self.assertEqual(form.email, "ap@debtor.example.com")
        self.assertIn("2% discount", str(form.talking_points))
        self.assertIn("Promised", str(form.history))
        self.assertIn("Last call", str(form.history))
        form.reason_id = self.env.ref("account_collections.account_collection_reason_own_customer")
        form.notes = "<p>Their client pays on the 20th.</p>"
        messages = self.customer.message_ids
        form.save().action_confirm()
        new = self.customer.message_ids - messages
        self.assertEqual(len(new), 1, "one message per call")
        self.assertIn("Waiting for their own customer to pay", new.body)
        self.assertIn("Their client pays on the 20th.", new.body)
        call = self.env["account.collection.call"].search([("partner_id", "=", self.customer.id)], limit=1)
        self.assertEqual(call.reason_id.name, "Waiting for their own customer to pay")

    def test_payment_plan_instalments(self):
        form = self._wizard(outcome_id=self.outcome["promise"], use_plan=True, promise_amount=1000)
        with form.line_ids.new() as line:
            line.date = day(5)
            line.amount = 400
        with form.line_ids.new() as line:
            line.date = day(20)
            line.amount = 500
        wizard = form.save()
        with self.assertRaisesRegex(ValidationError, "add up to"):
            wizard.action_confirm()
        wizard.line_ids[1].amount = 600
        wizard.action_confirm()
        promises = self.env["account.collection.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(promises.mapped("instalment"), [1, 2])
        self.assertEqual(promises.mapped("amount"), [400, 600])
        self.assertEqual(set(promises.mapped("instalment_count")), {2})

    def test_promise_validation_errors_write_nothing(self):
        Call = self.env["account.collection.call"].with_user(self.collector)
        other = self.env["res.partner"].create({"name": "Someone Else"})
        other_invoice = self._invoice(other, 100, day(-2))
        refund = self._invoice(self.customer, 50, day(0), move_type="out_refund")
        eur_invoice = self._invoice(self.customer, 300, day(-2), currency=self.eur)
        company_2 = self.setup_other_company(name="Elsewhere")["company"]
        foreign_company_invoice = self._invoice(self.customer, 100, day(-2), company=company_2)
        both = self.inv1 | self.inv2
        cases = [
            (both, [(0, day(3))], "greater than zero"),
            (both, [(-5, day(3))], "greater than zero"),
            (both, [(100, day(-1))], "cannot be in the past"),
            (both, [(100, day(31))], "at most 30 days ahead"),
            (both, [(1000.01, day(3))], "exceeds the open amount"),
            (self.inv1 | other_invoice, [(100, day(3))], "must belong to Debtor Ltd"),
            (self.inv1 | refund, [(10, day(3))], "not credit notes"),
            (self.inv1 | eur_invoice, [(10, day(3))], "one currency"),
            (self.env["account.move"], [(10, day(3))], "Choose the invoices"),
        ]
        for moves, lines, message in cases:
            with self.subTest(message=message), self.assertRaisesRegex(ValidationError, message):
                Call._collection_log(self.customer, self.outcome["promise"], moves, details={"lines": lines})
        # Another company's invoice: the collector of this one cannot even read it.
        with self.assertRaises(AccessError):
            Call._collection_log(
                self.customer,
                self.outcome["promise"],
                self.inv1 | foreign_company_invoice,
                details={"lines": [(10, day(3))]},
            )
        self.customer.action_archive()
        with self.assertRaisesRegex(ValidationError, "archived"):
            Call._collection_log(
                self.customer, self.outcome["promise"], both, details={"lines": [(10, day(3))]}
            )
        self.assertFalse(self.env["account.collection.call"].search([("partner_id", "=", self.customer.id)]))
        self.assertFalse(
            self.env["account.collection.promise"].search([("partner_id", "=", self.customer.id)])
        )

    def test_other_outcomes_validation(self):
        Call = self.env["account.collection.call"].with_user(self.collector)
        both = self.inv1 | self.inv2
        with self.assertRaisesRegex(ValidationError, "what the customer disputes"):
            Call._collection_log(self.customer, self.outcome["dispute"], both, details={"reason": " "})
        with self.assertRaisesRegex(ValidationError, "not in the future"):
            Call._collection_log(self.customer, self.outcome["paid"], both, details={"paid_date": day(1)})
        with self.assertRaisesRegex(ValidationError, "call back"):
            Call._collection_log(
                self.customer, self.outcome["call_back"], both, details={"callback_date": day(-1)}
            )

    # ------------------------------------------------------------------
    # A collection call ends with an outcome
    # ------------------------------------------------------------------
    def test_call_activity_cannot_be_done_without_outcome(self):
        activity = self._planned_call().with_user(self.collector)
        with self.assertRaises(RedirectWarning) as warning:
            activity.action_feedback(feedback="will pay")
        self.assertEqual(warning.exception.args[1]["res_model"], "account.collection.call.register")
        with self.assertRaises(RedirectWarning):
            activity.action_done()
        with self.assertRaisesRegex(UserError, "cannot delete collection calls"):
            activity.unlink()
        self.assertTrue(activity.active)
        # Other activities are untouched by the rule.
        todo = self.customer.activity_schedule("mail.mail_activity_data_todo", user_id=self.collector.id)
        todo.with_user(self.collector).action_feedback(feedback="done")
        self.assertFalse(todo.active)
        # The wizard closes the call.
        self._wizard(activity=activity, outcome_id=self.outcome["satisfied"]).save().action_confirm()
        self.assertFalse(activity.active)
        self.assertTrue(
            any("Satisfied, no complaint" in body for body in self.customer.message_ids.mapped("body"))
        )

    # ------------------------------------------------------------------
    # Evaluation against payments
    # ------------------------------------------------------------------
    def test_kept_on_reconciliation_over_two_invoices(self):
        promise = self._promise(self.inv1 | self.inv2, 1000, day(5))
        with freeze_time(day(1)):
            self._pay(self.inv1, 600, day(1))
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.paid_amount, 600)
        with freeze_time(day(2)):
            self._pay(self.inv2, 400, day(2))
        # No cron: the reconciliation itself decided.
        self.assertEqual(promise.state, "kept")
        self.assertEqual(promise.paid_amount, 1000)

    def test_partially_kept_and_broken_after_grace(self):
        partial = self._promise(self.inv1, 500, day(3))
        broken = self._promise(self.inv2, 400, day(3))
        with freeze_time(day(1)):
            self._pay(self.inv1, 200, day(1))
        self.assertEqual(partial.state, "open")
        # Promised Thursday 18 June; 3 working days of grace: Friday, Monday, Tuesday 23.
        with freeze_time(day(8)):
            self.env["account.collection.promise"]._cron_evaluate()
        self.assertEqual((partial | broken).mapped("state"), ["open", "open"])
        with freeze_time(day(9)):
            self.env["account.collection.promise"]._cron_evaluate()
        self.assertEqual(partial.state, "partial")
        self.assertEqual(partial.paid_amount, 200)
        self.assertEqual(broken.state, "broken")
        self.assertEqual(broken.state_date, day(9))

    def test_foreign_currency_promise(self):
        eur_invoice = self._invoice(self.customer, 1000, day(-2), currency=self.eur)
        promise = self._promise(eur_invoice, 1000, day(5))
        self.assertEqual(promise.currency_id, self.eur)
        with freeze_time(day(1)):
            self._register_payment(eur_invoice, amount=600, currency_id=self.eur.id, payment_date=day(1))
        self.assertEqual(promise.paid_amount, 600)
        with freeze_time(day(2)):
            self._register_payment(eur_invoice, amount=400, currency_id=self.eur.id, payment_date=day(2))
        self.assertEqual(promise.state, "kept")

    def test_same_part_paid_in_two_currencies(self):
        """Promises of two currencies decided alike in one evaluation (a monetary field is
        written per currency)."""
        eur_invoice = self._invoice(self.customer, 1000, day(-2), currency=self.eur)
        usd = self._promise(self.inv1, 500, day(1))
        eur = self._promise(eur_invoice, 500, day(1))
        with freeze_time(day(1)):
            self._pay(self.inv1, 100, day(1))
            self._register_payment(eur_invoice, amount=100, currency_id=self.eur.id, payment_date=day(1))
        with freeze_time(day(10)):
            self.env["account.collection.promise"]._cron_evaluate()
        self.assertEqual((usd | eur).mapped("state"), ["partial", "partial"])
        self.assertEqual((usd | eur).mapped("paid_amount"), [100.0, 100.0])

    def test_payment_before_the_promise_does_not_count(self):
        with freeze_time(day(-1)):
            self._pay(self.inv1, 100, day(-1))
        promise = self._promise(self.inv1, 500, day(3))
        with freeze_time(day(10)):
            promise._evaluate()
        self.assertEqual(promise.state, "broken")

    def test_broken_promise_escalates_once(self):
        self.inv2._collection_items()._collection_write_state({"collection_next_level_id": self.levels[2].id})
        promise = self._promise(self.inv2, 400, day(3))
        self.assertFalse(self._calls())
        with freeze_time(day(9)):  # Wednesday 24 June, after 3 working days of grace
            self.env["account.collection.promise"]._cron_evaluate()
            self.env["account.collection.promise"]._cron_evaluate()
        self.assertEqual(promise.state, "broken")
        call = self._calls()
        self.assertEqual(len(call), 1)
        self.assertEqual(call.date_deadline, day(10))  # next working day
        self.assertEqual(call.user_id, self.collector)
        self.assertIn("Promise broken", call.summary)
        self.assertEqual(self.inv2.collection_level_date, day(9))  # the next level fired at once
        manager_task = self.customer.activity_ids.filtered(
            lambda a: a.user_id == self.manager and "Review: Promise broken" in (a.summary or "")
        )
        self.assertEqual(len(manager_task), 1)
        with freeze_time(day(9)):
            self.customer.invalidate_recordset()
            self.assertEqual(self.customer.collection_broken_promise_count, 1)

    def test_promise_broken_on_a_weekend_escalates_on_the_next_working_day(self):
        """Decided on Saturday: nothing is sent that day; Monday's run takes the next level,
        and only that one; the call is planned for Tuesday, the manager's task for Monday."""
        self.company.sudo().collection_promise_grace = 0
        self.env["account.collection.run"]._collection_run(self.company, today=TODAY)
        self.assertEqual(self.inv2.collection_level_id, self.levels[2])
        promise = self._promise(self.inv2, 400, day(4))  # Friday 19 June
        with freeze_time(day(5)):  # Saturday
            self.env["account.collection.promise"]._cron_evaluate()
            self.assertEqual(
                self.env["account.collection.run"]._collection_run(self.company, today=day(5)), {}
            )
        self.assertEqual(promise.state, "broken")
        self.assertEqual(self.inv2.collection_level_id, self.levels[2], "nothing happens on Saturday")
        self.assertLessEqual(self.inv2.collection_next_date, day(7))
        call = self._calls()
        self.assertEqual(call.date_deadline, day(8))
        task = self.customer.activity_ids.filtered(lambda a: "Review: Promise broken" in (a.summary or ""))
        self.assertEqual(task.date_deadline, day(7))
        with freeze_time(day(7)):
            self.env["account.collection.run"]._collection_run(self.company, today=day(7))
        self.assertEqual(self.inv2.collection_level_id, self.levels[3], "exactly one level up")
        self.assertEqual(self.inv2.collection_level_date, day(7))

    def test_broken_promise_fires_the_next_level_at_once(self):
        """The next level acts the day the promise breaks, even before its own date."""
        self.company.sudo().collection_promise_grace = 0
        self.env["account.collection.run"]._collection_run(self.company, today=TODAY)
        self.assertEqual(self.inv2.collection_level_id, self.levels[2])  # the demand: e-mail, letter
        promise = self._promise(self.inv2, 400, day(1))
        self.assertFalse(self._calls())
        with freeze_time(day(2)):  # Wednesday; the claim level is due on Friday only
            self.env["account.collection.promise"]._cron_evaluate()
        self.assertEqual(promise.state, "broken")
        self.assertEqual(self.inv2.collection_level_id, self.levels[3])
        self.assertEqual(self.inv2.collection_level_date, day(2))
        history = self.env["account.collection.history"].search(
            [("move_ids", "in", self.inv2.ids), ("level_id", "=", self.levels[3].id)]
        )
        self.assertEqual(len(history), 1)
        self.assertTrue(history.did_call and history.did_notify)
        # The claim's call and the broken promise's call are one call, the next working day.
        call = self._calls()
        self.assertEqual(len(call), 1)
        self.assertEqual(call.date_deadline, day(3))
        self.assertEqual(history.activity_id, call)
        self.assertIn("Promise broken", call.summary)
        self.assertIn("Claim", call.note)
        # The engine the next day does not fire the claim again.
        stats = self.env["account.collection.run"]._collection_run(self.company, today=day(3))
        self.assertFalse(stats.get("calls"))
        self.assertEqual(self.inv2.collection_level_id, self.levels[3])

    def test_broken_promise_of_a_busy_customer_escalates_the_same_day(self):
        """A run (of this company or another) holds the customer when its promise breaks: the
        items are due that day and the ladder's job runs again to take their step."""
        self.company.sudo().collection_promise_grace = 0
        Run = self.env["account.collection.run"]
        Run._collection_run(self.company, today=TODAY)
        promise = self._promise(self.inv2, 400, day(1))
        ladder_job = self.env.ref("account_collections.ir_cron_collection_ladder")
        Triggers = self.env["ir.cron.trigger"].sudo()
        before = Triggers.search_count([("cron_id", "=", ladder_job.id)])
        with (
            freeze_time(day(2)),
            patch.object(type(Run), "_collection_lock_partners", lambda self, partner_ids: []),
        ):
            self.env["account.collection.promise"]._cron_evaluate()
        self.assertEqual(promise.state, "broken")
        self.assertEqual(self.inv2.collection_level_id, self.levels[2], "not climbed: the customer is busy")
        self.assertEqual(self.inv2.collection_next_date, day(2))
        self.assertEqual(Triggers.search_count([("cron_id", "=", ladder_job.id)]), before + 1)
        with freeze_time(day(2)):
            Run._collection_run(self.company, today=day(2))
        self.assertEqual(self.inv2.collection_level_id, self.levels[3])
        self.assertEqual(self.inv2.collection_level_date, day(2))

    def test_broken_instalment_escalates_despite_the_open_one(self):
        """A payment plan whose first instalment breaks escalates; the later one no longer pauses."""
        self.company.sudo().collection_promise_grace = 0
        call = (
            self.env["account.collection.call"]
            .with_user(self.collector)
            ._collection_log(
                self.customer,
                self.outcome["promise"],
                self.inv2,
                details={"lines": [(200, day(1)), (200, day(10))]},
            )
        )
        first, second = call.promise_ids.sorted("instalment")
        with freeze_time(day(2)):
            self.env["account.collection.promise"]._cron_evaluate()
        self.assertEqual((first.state, second.state), ("broken", "open"))
        self.assertEqual(self.inv2.collection_level_date, day(2))
        self.assertEqual(len(self._calls()), 1)

    def test_payment_reconciled_after_the_promise_broke(self):
        """A payment dated within the term but reconciled after the daily job broke the promise
        (a late statement, or the two racing) leaves the promise kept, and escalates only once."""
        self.company.sudo().collection_promise_grace = 0
        promise = self._promise(self.inv1, 600, day(1))
        with freeze_time(day(2)):
            self.env["account.collection.promise"]._cron_evaluate()
        self.assertEqual(promise.state, "broken")
        calls = self._calls()
        with freeze_time(day(3)):
            self._pay(self.inv1, 600, day(1))  # paid on the promised day, booked two days later
        self.assertEqual(promise.state, "kept")
        self.assertEqual(promise.paid_amount, 600)
        self.assertIn("Evaluated again after a late payment", promise.message_ids[0].body)
        # No second escalation; the broken promise's call closed itself: the invoice is paid.
        all_calls = (
            self.env["mail.activity"]
            .with_context(active_test=False)
            .search([("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)])
            .filtered(lambda a: a.activity_type_id == self.call_type)
        )
        self.assertEqual(all_calls, calls)
        self.assertFalse(calls.active)
        # A payment dated after the term does not turn a broken promise into a kept one.
        other = self._promise(self.inv2, 400, day(1))
        with freeze_time(day(2)):
            self.env["account.collection.promise"]._cron_evaluate()
        with freeze_time(day(4)):
            self._pay(self.inv2, 400, day(4))
        self.assertEqual(other.state, "broken")

    def test_broken_promises_put_the_customer_on_hold(self):
        self.company.sudo().write({"collection_broken_promise_limit": 1, "collection_credit_hold": True})
        self._invoice(self.customer, 10, day(20))
        for invoice in (self.inv1, self.inv2):
            self._promise(invoice, 100, day(1))
        self.customer.with_user(self.manager).write(
            {"collection_tolerance_days": 99, "collection_tolerance_amount": 5000}
        )
        with freeze_time(day(5)):
            self.env["account.collection.promise"]._cron_evaluate()
            self.customer.invalidate_recordset()
            self.assertEqual(self.customer.collection_credit_status, "hold")
            self.assertIn("2 broken promises in 90 days", self.customer.collection_hold_reasons)

    # ------------------------------------------------------------------
    # The ladder around promises and disputes
    # ------------------------------------------------------------------
    def test_open_promise_pauses_the_ladder(self):
        self._promise(self.inv1, 600, day(5))
        stats = self.env["account.collection.run"]._collection_run(self.company, today=TODAY)
        self.assertFalse(self.inv1.collection_level_id)
        self.assertTrue(self.inv2.collection_level_id)
        self.assertEqual(stats["history"], 1)

    def test_dispute_pauses_only_the_disputed_invoice(self):
        form = self._wizard(outcome_id=self.outcome["dispute"], dispute_reason="Goods damaged")
        form.dispute_move_ids.add(self.inv1)
        form.save().action_confirm()
        self.assertTrue(self.inv1.collection_disputed)
        self.assertFalse(self.inv2.collection_disputed)
        task = self.customer.activity_ids.filtered(lambda a: "Resolve the dispute" in (a.summary or ""))
        self.assertEqual(task.user_id, self.manager)
        self.env["account.collection.run"]._collection_run(self.company, today=TODAY)
        self.assertFalse(self.inv1.collection_level_id)
        self.assertTrue(self.inv2.collection_level_id)
        self.inv1.action_collection_resolve_dispute()
        self.assertFalse(self.inv1.collection_disputed)
        self.assertTrue(self.inv1.collection_next_date)

    def test_dispute_dates_are_kept_and_migrated(self):
        """An invoice keeps the day its dispute was opened and the day it was resolved (the
        customer's page shows them); the upgrade to 19.0.1.3.0 reads them from the dispute
        flag's tracked history: inv1 disputed on day 0 and resolved on day 3, inv2 disputed on
        day 4 and still disputed."""
        # Tracked as in production (the test base turns tracking off).
        tracked = (self.inv1 | self.inv2).with_context(tracking_disable=False, mail_notrack=False)
        self._flush_tracking()  # what the test data left pending, in its own context
        for when, move, disputed in (
            (day(0), tracked[0], True),
            (day(3), tracked[0], False),
            (day(4), tracked[1], True),
        ):
            with freeze_time(when):
                move.collection_disputed = disputed
                self._flush_tracking()
        dates = ("collection_dispute_date", "collection_dispute_resolved_date")

        def read(move):
            return tuple(move[name] for name in dates)

        self.assertEqual(read(self.inv1), (day(0), day(3)))
        self.assertEqual(read(self.inv2), (day(4), False))
        with self.assertRaises(AccessError):
            self.inv2.with_user(self.manager).write({"collection_dispute_date": day(1)})
        # A database upgraded from 19.0.1.2.0 had no such dates: they come from the history.
        moves = self.inv1 | self.inv2
        moves.sudo().write(dict.fromkeys(dates, False))
        self._run_migration("19.0.1.3.0", "19.0.1.2.0")
        self.assertEqual(read(self.inv1), (day(0), day(3)))
        self.assertEqual(read(self.inv2), (day(4), False))

    def test_no_answer_retries_then_escalates(self):
        self.company.sudo().collection_call_retries = 2
        Call = self.env["account.collection.call"].with_user(self.collector)
        for attempt in range(3):
            Call._collection_log(self.customer, self.outcome["no_answer"], self.inv1)
            if attempt < 2:
                retry = self._calls().sorted("id")[-1]
                self.assertEqual(retry.date_deadline, day(1))
                self.assertIn(f"no answer {attempt + 1} of 2", retry.summary)
                self.assertEqual(retry.collection_company_id, self.company)
        self.assertEqual(len(self._calls()), 2)  # the third attempt escalated instead
        escalation = self.customer.activity_ids.filtered(
            lambda a: "did not answer 3 calls" in (a.summary or "")
        )
        self.assertEqual(escalation.user_id, self.manager)

    def test_call_back_and_wrong_contact_and_paid(self):
        Call = self.env["account.collection.call"].with_user(self.collector)
        Call._collection_log(
            self.customer,
            self.outcome["call_back"],
            self.inv1,
            details={"callback_date": day(2), "callback_time": 14.5},
        )
        callback = self._calls()
        self.assertEqual(callback.date_deadline, day(2))
        self.assertIn("14:30", callback.summary)
        Call._collection_log(self.customer, self.outcome["wrong_contact"], self.inv1)
        Call._collection_log(
            self.customer,
            self.outcome["paid"],
            self.inv1,
            details={"paid_date": day(-1), "paid_reference": "WIRE-42"},
        )
        summaries = " | ".join(self.customer.activity_ids.mapped("summary"))
        self.assertIn("Find the right contact", summaries)
        self.assertIn("WIRE-42", summaries)

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------
    def test_access_rules(self):
        promise = self._promise(self.inv1, 600, day(5))
        with self.assertRaises(AccessError):
            promise.with_user(self.collector).action_cancel("Customer asked")
        with self.assertRaises(UserError):
            promise.with_user(self.collector).write({"state": "kept"})
        with self.assertRaisesRegex(UserError, "reason"):
            promise.with_user(self.manager).action_cancel("")
        promise.with_user(self.manager).action_cancel("Agreed with sales")
        self.assertEqual(promise.state, "cancelled")
        call = promise.call_id
        # Collectors read the calls of their colleagues but do not change them, nor review.
        self.assertEqual(call.with_user(self.collector_b).outcome_id, self.outcome["promise"])
        with self.assertRaises(AccessError):
            call.with_user(self.collector_b).write({"next_step": "Mine now"})
        with self.assertRaises(AccessError):
            call.with_user(self.collector).write({"review_state": "reviewed"})
        call.with_user(self.manager).action_review()
        self.assertEqual(call.review_state, "reviewed")
        self.assertEqual(call.reviewer_id, self.manager)

    def test_multi_company_isolation(self):
        company_2 = self.setup_other_company(name="Far Away Co")["company"]
        invoice = self._invoice(self.customer, 100, day(-2), company=company_2)
        promise = (
            self.env["account.collection.call"]
            .with_company(company_2)
            ._collection_log(
                self.customer, self.outcome["promise"], invoice, details={"lines": [(100, day(3))]}
            )
            .promise_ids
        )
        self.assertEqual(promise.company_id, company_2)
        self.assertFalse(
            self.env["account.collection.promise"].with_user(self.manager).search([("id", "=", promise.id)])
        )
        with self.assertRaises(AccessError):
            promise.call_id.with_user(self.collector).read(["outcome_id"])
