"""Pay now from the collection page: the net demand, matched with the invoices and credits."""

import shutil
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, JsonRpcException, tagged
from odoo.tools import mute_logger

from odoo.addons.account_collections.tests.common import CollectionsCommon
from odoo.addons.account_collections.tests.test_tour import CHROME
from odoo.addons.account_payment.tests.common import AccountPaymentCommon
from odoo.addons.payment.tests.http_common import PaymentHttpCommon


@tagged("post_install", "-at_install")
class TestPayNow(CollectionsCommon, AccountPaymentCommon, PaymentHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Relative to the real day (the page counts from it); no working-day rule is involved.
        today = fields.Date.today()
        cls.customer.collection_user_id = cls.collector
        cls.old = cls._invoice(cls.customer, 1000.0, today - timedelta(days=20))
        cls.recent = cls._invoice(cls.customer, 500.0, today - timedelta(days=10))
        cls.credit = cls._unmatched_credit(cls.customer, 200.0, today - timedelta(days=5))
        cls.provider.company_id = cls.company

    def setUp(self):
        super().setUp()
        self.authenticate(None, None)

    def _paid_messages(self):
        self.customer.invalidate_recordset(["message_ids"])
        return self.customer.message_ids.filtered(lambda m: "the customer paid" in (m.body or ""))

    def _pay_from_page(self, page, invoices, amount):
        """The payment form's request: pay `invoices` for `amount` through the demo provider."""
        ids = "-".join(str(invoice.id) for invoice in invoices)
        return self._get_processing_values(
            tx_route=f"{page}/transaction/{self.company.id}/{ids}",
            provider_id=self.provider.id,
            payment_method_id=self.payment_method_id,
            token_id=None,
            amount=amount,
            flow="direct",
            tokenization_requested=False,
            landing_route=f"{page}?message=paid",
            access_token="ignored",
        )

    def test_pay_now_pays_the_net_demand_and_matches_everything(self):
        """1,000 and 500 overdue, 200 received on account, and an overdue opening balance of 300
        (an entry, not an invoice: not paid online): the page offers to pay 1,300; a browser
        asking for another amount is refused. Once the payment is confirmed, the invoices and
        the credit are matched, only the opening balance is owed and the collector's call about
        the invoices is closed."""
        # Due after the invoices: the credit settles the invoices first.
        today = fields.Date.today()
        opening = self._opening_balance(300.0, today - timedelta(days=2), day=today - timedelta(days=40))
        page = self.customer._collection_portal_path()
        self.assertIn("o_collection_pay_now", self.url_open(page).text)
        response = self.url_open(f"{page}/pay?company_id={self.company.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn('data-amount="1300.0"', response.text)
        self.assertIn(f"/transaction/{self.company.id}/", response.text)
        with self.assertRaises(JsonRpcException), mute_logger("odoo.http"):
            self._pay_from_page(page, self.recent | self.old, 1.0)
        call = self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": self.customer.id,
                "activity_type_id": self.env.ref("account_collections.mail_activity_type_collection_call").id,
                "date_deadline": fields.Date.today(),
                "user_id": self.collector.id,
                "collection_company_id": self.company.id,
            }
        )
        # The call the run planned for these invoices (its step names them).
        self.env["account.collection.history"].sudo()._collection_insert(
            [
                {
                    "date": fields.Date.today(),
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "ladder_id": self.ladder.id,
                    "level_id": self.levels[1].id,
                    "user_id": self.collector.id,
                    "line_ids": (self.old | self.recent).collection_item_ids.ids,
                    "amount": 1300.0,
                    "did_call": True,
                    "activity_id": call.id,
                }
            ]
        )
        with mute_logger("odoo.addons.payment.models.payment_transaction"):
            values = self._pay_from_page(page, self.recent | self.old, 1300.0)
        tx = self._get_tx(values["reference"])
        self.assertEqual((tx.amount, tx.currency_id, tx.partner_id), (1300.0, self.currency, self.customer))
        self.assertEqual(tx.invoice_ids, self.old | self.recent)
        tx._set_done()
        tx._post_process()
        self.assertEqual((self.old | self.recent).mapped("payment_state"), ["paid", "paid"])
        # The customer's chatter says it, as it says its promises and disputes.
        logged = self._paid_messages()
        self.assertEqual(len(logged), 1)
        self.assertEqual(logged.author_id, self.customer)
        for text in (self.currency.format(1300.0), self.old.name, self.recent.name, tx.payment_id.name):
            self.assertIn(text, str(logged.body).replace("&nbsp;", "\xa0"))
        self.assertTrue(
            self.credit.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
            ).reconciled
        )
        self.assertEqual(self.customer._collection_demand().net, 300.0, "the opening balance is still owed")
        self.assertFalse(
            opening.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
            ).reconciled
        )
        self.assertFalse(
            call.exists() and call.active, "the call about the invoices is closed by the payment"
        )

    def test_pay_some_invoices_only(self):
        """The customer pays the recent invoice alone: the credit of 200 settles the older one
        first (the demand's rule), so the recent one is paid in full, 500; the older stays
        owed, less the credit: 800."""
        page = self.customer._collection_portal_path()
        response = self.url_open(f"{page}/pay?company_id={self.company.id}&move_ids={self.recent.id}")
        self.assertIn('data-amount="500.0"', response.text)
        with mute_logger("odoo.addons.payment.models.payment_transaction"):
            values = self._pay_from_page(page, self.recent, 500.0)
        tx = self._get_tx(values["reference"])
        self.assertEqual((tx.amount, tx.invoice_ids), (500.0, self.recent))
        # While that payment is pending, the invoice is not offered for payment again.
        tx._set_pending()
        tx._post_process()
        response = self.url_open(f"{page}/pay?company_id={self.company.id}&move_ids={self.recent.id}")
        self.assertIn("being processed", response.text)
        self.assertFalse(self._paid_messages(), "logged once the provider confirms, not before")
        tx._set_done()
        tx._post_process()
        self.assertEqual(self.recent.payment_state, "paid")
        logged = self._paid_messages()
        self.assertIn(self.currency.format(500.0), str(logged.body).replace("&nbsp;", "\xa0"))
        self.assertIn(self.recent.name, logged.body)
        self.assertNotIn(self.old.name, logged.body)
        self.assertEqual(self.customer._collection_demand().net, 800.0)
        # An invoice that is not demanded (another customer's, or one not overdue) is refused.
        stranger = self._invoice(
            self.env["res.partner"].create({"name": "Other"}), 100.0, fields.Date.today()
        )
        response = self.url_open(f"{page}/pay?company_id={self.company.id}&move_ids={stranger.id}")
        self.assertIn("Choose among the overdue invoices", response.text)
        # Every invoice unticked: nothing is paid (not everything).
        response = self.url_open(f"{page}/pay?company_id={self.company.id}&choosing=1")
        self.assertIn("Tick the invoices to pay", response.text)
        self.assertNotIn("o_payment_form", response.text)

    def test_an_invoice_the_credits_cover_is_matched_too(self):
        """300 due 20 days ago, covered by the 300 received on account; 500 due 10 days ago. The
        page offers 500, and once paid, both invoices and the credit are matched."""
        today = fields.Date.today()
        other = self.env["res.partner"].create({"name": "Covered Ltd", "is_company": True})
        covered = self._invoice(other, 300.0, today - timedelta(days=20))
        owed = self._invoice(other, 500.0, today - timedelta(days=10))
        credit = self._unmatched_credit(other, 300.0, today - timedelta(days=5))
        page = other._collection_portal_path()
        self.assertIn('data-amount="500.0"', self.url_open(f"{page}/pay?company_id={self.company.id}").text)
        with mute_logger("odoo.addons.payment.models.payment_transaction"):
            values = self._pay_from_page(page, covered | owed, 500.0)
        tx = self._get_tx(values["reference"])
        tx._set_done()
        tx._post_process()
        self.assertEqual((covered | owed).mapped("payment_state"), ["paid", "paid"])
        self.assertTrue(
            credit.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
            ).reconciled
        )

    def test_promised_invoices_are_payable_and_the_page_says_so(self):
        """A promise takes its invoices out of what is demanded now, but the customer may pay
        them: the amount offered says it includes the promised invoices (it read 'To pay now
        0.00' beside 'Pay now' with nothing to explain it). The 200 received on account is
        still deducted: 1,300 is offered, not 1,500."""
        page = self.customer._collection_portal_path()
        self.assertNotIn("o_collection_pay_promised", self.url_open(page).text)
        today = fields.Date.today()
        self.env["account.collection.promise"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "move_ids": [Command.set((self.old | self.recent).ids)],
                "currency_id": self.currency.id,
                "amount": 1300.0,
                "date": today + timedelta(days=5),
                "date_start": today,
            }
        )
        self.assertTrue(self.currency.is_zero(self.customer._collection_demand().net))
        self.assertIn("o_collection_pay_promised", self.url_open(page).text)
        self.assertIn('data-amount="1300.0"', self.url_open(f"{page}/pay?company_id={self.company.id}").text)

    def test_nothing_to_pay_and_wrong_links(self):
        page = self.customer._collection_portal_path()
        self.assertEqual(self.url_open(f"{page}/pay?company_id=0").status_code, 404)
        forged = page[:-4] + "0000"
        self.assertEqual(self.url_open(f"{forged}/pay?company_id={self.company.id}").status_code, 404)
        self.old.collection_disputed = True
        self.recent.collection_disputed = True
        response = self.url_open(f"{page}/pay?company_id={self.company.id}")
        self.assertIn("nothing to pay now", response.text)


@tagged("post_install", "-at_install")
class TestPayNowTour(CollectionsCommon, HttpCase):
    """Pay now in a real browser with Odoo's demo payment provider (installed by the tests)."""

    def test_tour_pay_now_with_the_demo_provider(self):
        if self.env["ir.module.module"]._get("payment_demo").state != "installed":
            self.skipTest("payment_demo is not installed")
        if not any(shutil.which(name) for name in CHROME):
            self.skipTest("Chromium is not installed")
        today = fields.Date.today()
        old = self._invoice(self.customer, 1000.0, today - timedelta(days=20))
        recent = self._invoice(self.customer, 500.0, today - timedelta(days=10))
        credit = self._unmatched_credit(self.customer, 200.0, today - timedelta(days=5))
        demo = self.env["payment.provider"].search([("code", "=", "demo")], limit=1)
        demo.write({"state": "test", "is_published": True, "company_id": self.company.id})
        self.start_tour(self.customer._collection_portal_path(), "account_collections_pay_now_tour")
        tx = self.env["payment.transaction"].search([("invoice_ids", "in", old.ids)])
        self.assertEqual((tx.amount, tx.state, tx.provider_id), (1300.0, "done", demo))
        self.assertEqual((old | recent).mapped("payment_state"), ["paid", "paid"])
        self.assertTrue(
            credit.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
            ).reconciled
        )
