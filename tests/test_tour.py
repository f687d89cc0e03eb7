import shutil
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import CollectionsCommon

CHROME = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@tagged("post_install", "-at_install")
class TestWorklistTour(CollectionsCommon, HttpCase):
    """A collector works the worklist, and an administrator rewrites a level's letter, in a real
    (headless Chromium) browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.debtor = cls.env["res.partner"].create(
            {"name": "Tour Debtor", "is_company": True, "collection_user_id": cls.collector.id}
        )
        # The browser's clock cannot be frozen with the server's: the data follows the real
        # date, on the last working day up to today (today may be a weekend or a holiday),
        # when the due-date call was planned; the worklist shows it as due.
        today = fields.Date.today()
        cls.workday = cls.company._collection_workdays(today - timedelta(days=15), today).dates[-1]
        cls.invoice = cls._invoice(cls.debtor, 1000.0, cls.workday)
        # The collector's next call of the morning.
        cls.next_customer = cls.env["res.partner"].create(
            {"name": "Tour Next Customer", "is_company": True, "collection_user_id": cls.collector.id}
        )
        cls.next_invoice = cls._invoice(cls.next_customer, 400.0, cls.workday)
        cls.env["account.collection.run"]._collection_run(cls.company, today=cls.workday)
        cls.call_type = cls.env.ref("account_collections.mail_activity_type_collection_call")

    def setUp(self):
        super().setUp()
        if not any(shutil.which(name) for name in CHROME):
            self.skipTest("Chromium is not installed (apt install chromium chromium-driver)")

    def _planned_call(self, partner):
        return partner.activity_ids.filtered(lambda a: a.activity_type_id == self.call_type)

    def test_collector_works_the_worklist_customer_after_customer(self):
        first_call, next_call = self._planned_call(self.debtor), self._planned_call(self.next_customer)
        self.assertEqual(len(first_call), 1, "the due-date call is planned")
        self.assertEqual(len(next_call), 1)
        self.assertEqual((first_call | next_call).mapped("date_deadline"), [self.workday] * 2)
        self.start_tour(
            "/odoo/action-account_collections.account_collection_worklist_action",
            "account_collections_worklist_tour",
            login=self.collector.login,
        )
        Call = self.env["account.collection.call"]
        # The first customer promised: the call, its promise and the planned call done.
        call = Call.search([("partner_id", "=", self.debtor.id)])
        self.assertEqual(
            call.outcome_id, self.env.ref("account_collections.account_collection_outcome_promise")
        )
        self.assertEqual(call.user_id, self.collector)
        self.assertEqual(call.next_step, "Check the transfer next week")
        self.assertEqual(call.move_ids, self.invoice)
        promise = self.env["account.collection.promise"].search([("partner_id", "=", self.debtor.id)])
        self.assertEqual(promise.call_id, call)
        self.assertEqual(promise.amount, 250.0)
        self.assertEqual(promise.date, fields.Date.today() + timedelta(days=7))
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.move_ids, self.invoice)
        self.assertEqual(promise.user_id, self.collector)
        self.assertFalse(first_call.exists().active, "the planned call is done")
        # The next customer did not answer: no promise, a new try planned for a later working day.
        call = Call.search([("partner_id", "=", self.next_customer.id)])
        self.assertEqual(
            call.outcome_id, self.env.ref("account_collections.account_collection_outcome_no_answer")
        )
        self.assertEqual(call.user_id, self.collector)
        self.assertEqual(call.next_step, "Try the accounts payable line")
        self.assertEqual(call.move_ids, self.next_invoice)
        self.assertFalse(call.promise_ids)
        self.assertFalse(next_call.exists().active, "the planned call is done")
        retry = self._planned_call(self.next_customer)
        self.assertEqual(len(retry), 1)
        self.assertIn("no answer 1 of", retry.summary)
        self.assertEqual(retry.user_id, self.collector)
        self.assertGreater(retry.date_deadline, fields.Date.today())
        self.start_tour(
            f"/odoo/res.partner/{self.debtor.id}",
            "account_collections_customer_promise_tour",
            login=self.collector.login,
        )

    def test_mark_done_in_the_chatter_goes_through_the_outcome(self):
        self.start_tour(
            f"/odoo/res.partner/{self.debtor.id}",
            "account_collections_mark_done_tour",
            login=self.collector.login,
        )
        call = self.env["account.collection.call"].search([("partner_id", "=", self.debtor.id)])
        self.assertEqual(
            call.outcome_id, self.env.ref("account_collections.account_collection_outcome_satisfied")
        )
        self.assertTrue(call.activity_summary)
        self.assertFalse(self._planned_call(self.debtor))

    def test_admin_rewrites_a_levels_letter(self):
        """The accounting administrator edits a level's letter from the configuration; letters
        of the customers whose invoices stand at that level read the new text."""
        demand = self.levels.filtered(lambda level: level.name == "Demand")
        demand.write(
            {"letter_title": "Demand for payment", "letter_body": "<p>Please pay the amount below.</p>"}
        )
        # The test company's accounting administrator (the invoicing test base's user).
        admin = self.env.user
        self.assertTrue(admin.has_group("account.group_account_manager"))
        self.start_tour("/odoo", "account_collections_level_letter_tour", login=admin.login)
        self.assertEqual(demand.letter_title, "Final demand before legal action")
        self.assertIn("Pay within eight days to avoid court costs.", demand.letter_body)
        self.assertNotIn("Please pay the amount below", demand.letter_body)
        # An invoice at that level: its customer's letter.
        customer = self.env["res.partner"].create({"name": "Letter Customer", "is_company": True})
        invoice = self._invoice(customer, 700.0, self.workday - timedelta(days=3))
        invoice._collection_items()._collection_write_state(
            {"collection_level_id": demand.id, "collection_level_sequence": demand.sequence}
        )
        self.assertEqual(invoice.collection_level_id, demand)
        report = self.env.ref("account_collections.account_collection_letter_report_partner")
        html = self.env["ir.actions.report"]._render_qweb_html(report, customer.ids)[0].decode()
        self.assertIn("Final demand before legal action", html)
        self.assertIn("Pay within eight days to avoid court costs.", html)
        self.assertNotIn("Please pay the amount below", html)
        self.assertIn(invoice.name, html)
