import shutil
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import CollectionsCommon

CHROME = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@tagged("post_install", "-at_install")
class TestWorklistTour(CollectionsCommon, HttpCase):
    """A collector works the worklist in a real (headless Chromium) browser."""

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
        cls.env["account.collection.run"]._collection_run(cls.company, today=cls.workday)

    def setUp(self):
        super().setUp()
        if not any(shutil.which(name) for name in CHROME):
            self.skipTest("Chromium is not installed (apt install chromium chromium-driver)")

    def test_collector_logs_a_promise_from_the_worklist(self):
        call_type = self.env.ref("account_collections.mail_activity_type_collection_call")
        call = self.debtor.activity_ids.filtered(lambda a: a.activity_type_id == call_type)
        self.assertEqual(len(call), 1, "the due-date call is planned")
        self.assertEqual(call.date_deadline, self.workday)
        self.start_tour(
            "/odoo/action-account_collections.account_collection_worklist_action",
            "account_collections_worklist_tour",
            login=self.collector.login,
        )
        promise = self.env["account.collection.promise"].search([("partner_id", "=", self.debtor.id)])
        self.assertEqual(promise.amount, 250.0)
        self.assertEqual(promise.state, "open")
        self.assertEqual(promise.move_ids, self.invoice)
        self.assertEqual(promise.user_id, self.collector)
        self.assertFalse(call.exists().active, "the planned call is done")
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
        call_type = self.env.ref("account_collections.mail_activity_type_collection_call")
        self.assertFalse(self.debtor.activity_ids.filtered(lambda a: a.activity_type_id == call_type))
