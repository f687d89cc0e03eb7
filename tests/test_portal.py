"""The customer's collection page: the signed link of reminders and letters, what the page
shows (the ladder's netted demand), promises and disputes made from it, and who gets in."""

import shutil
from datetime import date, timedelta
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

from freezegun import freeze_time
from lxml import html

from odoo import fields, http
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import format_date, mute_logger

from .common import CollectionsCommon
from .test_tour import CHROME


@tagged("post_install", "-at_install")
class TestPortal(CollectionsCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Dates relative to the real day: the page and the promise limits count from it, and
        # nothing here depends on the weekday (no working-day rule is involved).
        cls.today = fields.Date.today()
        cls.customer.collection_user_id = cls.collector
        cls.old = cls._invoice(cls.customer, 1000.0, cls.today - timedelta(days=20))
        cls.recent = cls._invoice(cls.customer, 500.0, cls.today - timedelta(days=10))
        cls.coming = cls._invoice(cls.customer, 300.0, cls.today + timedelta(days=20))
        cls._unmatched_credit(cls.customer, 200.0, cls.today - timedelta(days=5))
        cls.stranger = cls.env["res.partner"].create({"name": "Stranger SA", "is_company": True})
        cls.stranger_invoice = cls._invoice(cls.stranger, 700.0, cls.today - timedelta(days=20))

    def setUp(self):
        super().setUp()
        self.authenticate(None, None)  # a visitor's session, as a link opened from an e-mail

    def _page(self, partner=None):
        return (partner or self.customer)._collection_portal_path()

    def _post(self, url, **data):
        return self.url_open(url, data={"csrf_token": http.Request.csrf_token(self), **data})

    def _todo(self, text):
        return self.customer.activity_ids.filtered(lambda a: text in (a.summary or ""))

    # ------------------------------------------------------------------
    # The link and what it opens
    # ------------------------------------------------------------------
    def test_the_reminder_links_to_the_page_of_what_is_owed(self):
        """The reminder e-mail carries the signed link; without logging in it shows the overdue
        invoices, the unmatched payment deducted, 1,300 to pay (not 1,800), and the invoice
        coming due apart."""
        url = self.customer._collection_portal_url()
        body = self.env.ref("account_collections.mail_template_collection_reminder")._render_field(
            "body_html", self.customer.ids
        )[self.customer.id]
        self.assertIn(url, body)
        page = self.url_open(self._page())
        self.assertEqual(page.status_code, 200)
        for text in (
            self.old.name,
            self.recent.name,
            "Credit in your favour",
            "Coming due",
            self.coming.name,
        ):
            self.assertIn(text, page.text)
        self.assertIn(
            self.currency.format(1300.0).replace("\xa0", "&nbsp;"), page.text.replace("\xa0", "&nbsp;")
        )
        self.assertNotIn(self.stranger_invoice.name, page.text)

    def test_the_page_speaks_the_customers_language_and_shows_no_message_from_the_url(self):
        """A Hungarian customer's page is in Hungarian whatever the browser's language, figures
        and fixed text alike. A message written into the URL is not shown (phishing): only the
        server's own refusals are, once."""
        self.env["res.lang"]._activate_lang("hu_HU")
        self.env["ir.module.module"]._load_module_terms(["account_collections"], ["hu_HU"], overwrite=True)
        self.customer.lang = "hu_HU"
        page = self.url_open(
            self._page() + "?error=Pay+to+IBAN+XX00+EVIL", headers={"Accept-Language": "en-US"}
        )
        self.assertIn("Fizetési ígéret", page.text)
        self.assertNotIn("alert-warning", page.text)
        # A refusal is told on the page, once, with the section's company.
        refused = self._post(
            f"{self._page()}/promise",
            company_id=self.company.id,
            amount_1="abc",
            date_1=self.today.isoformat(),
        )
        self.assertIn("alert-warning", refused.text)
        self.assertIn(f"{self.company.name}:", refused.text)
        self.assertNotIn("alert-warning", self.url_open(self._page()).text, "told once")

    def test_wrong_expired_and_revoked_links_open_nothing(self):
        issued = self.today.isoformat()
        signature = self.customer._collection_portal_signature(self.today)
        self.assertEqual(
            self.url_open(f"/collections/{self.customer.id}/{issued}/{signature}").status_code, 200
        )
        # Another customer with this customer's signature, a forged one, a malformed day.
        for url in (
            f"/collections/{self.stranger.id}/{issued}/{signature}",
            f"/collections/{self.customer.id}/{issued}/{'0' * len(signature)}",
            f"/collections/{self.customer.id}/not-a-day/{signature}",
        ):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 404, url)
            self.assertIn("Ask your contact for a new link", response.text)
        # Expired: issued longer ago than the company's validity (60 days by default).
        old_day = self.today - timedelta(days=61)
        self.assertEqual(self.url_open(self.customer._collection_portal_path(old_day)).status_code, 404)
        still = self.today - timedelta(days=59)
        self.assertEqual(self.url_open(self.customer._collection_portal_path(still)).status_code, 200)
        # Signed on the sender's day, a day ahead of the server's in another time zone: accepted;
        # two days ahead: refused.
        ahead = self.customer._collection_portal_path(self.today + timedelta(days=1))
        self.assertEqual(self.url_open(ahead).status_code, 200)
        too_far = self.customer._collection_portal_path(self.today + timedelta(days=2))
        self.assertEqual(self.url_open(too_far).status_code, 404)
        # Revoked: only a manager may, and every link signed before stops working.
        with self.assertRaises(AccessError):
            self.customer.with_user(self.collector).action_collection_revoke_portal_links()
        before = self._page()
        self.customer.with_user(self.manager).action_collection_revoke_portal_links()
        self.assertEqual(self.url_open(before).status_code, 404)
        self.assertEqual(self.url_open(self._page()).status_code, 200, "the next link works")
        self.assertIn("Portal links revoked", self.customer.message_ids[0].body)

    def test_the_payment_qr_code_on_letters_and_reminder_emails(self):
        """Where the company shows QR codes and its bank account and country allow one of Odoo's
        QR methods, the letter draws a QR code for the net amount and the customer's reference,
        and the reminder e-mail shows the same as an image of Odoo's public barcode route, on
        the database's address (mail clients strip embedded images): it opens logged out.
        Where the bank's country has no QR method, or the company shows none, neither carries
        one. The letter carries the page's link too."""
        self.company.sudo().qr_code = True
        self.env["res.partner.bank"].create(
            {"acc_number": "BE71096123456769", "partner_id": self.company.partner_id.id}
        )
        template = self.env.ref("account_collections.mail_template_collection_reminder")
        calls = []

        # A QR method, as a localisation adds one (SEPA, EMV...): the tests install none.
        def methods(model):
            return [("test_qr", "Test QR", 1)]

        def params(bank, qr_method, amount, currency, debtor, free_communication, structured):
            calls.append((qr_method, amount, free_communication, debtor))
            return {
                "barcode_type": "QR",
                "width": 128,
                "height": 128,
                "value": f"PAY {amount} {free_communication}",
            }

        def email_qr():
            body = template._render_field("body_html", self.customer.ids)[self.customer.id]
            return html.fromstring(body).xpath('//img[@alt="Payment QR code"]/@src')

        def letter():
            return self.env["ir.actions.report"]._render_qweb_html(
                "account_collections.account_collection_letter_report_partner", self.customer.ids
            )[0]

        Bank = type(self.env["res.partner.bank"])
        with (
            patch.object(Bank, "_get_available_qr_methods", methods),
            patch.object(Bank, "_get_qr_code_generation_params", params),
        ):
            (src,) = email_qr()
            drawn = letter()
            # The bank's country has no QR method.
            with patch.object(Bank, "_get_error_messages_for_qr", lambda *args: "Not in this country."):
                self.assertEqual(email_qr(), [])
                self.assertNotIn(b'alt="Payment QR code"', letter())
            # The company does not show QR codes.
            self.company.sudo().qr_code = False
            self.assertEqual(email_qr(), [])
            self.assertNotIn(b'alt="Payment QR code"', letter())
        self.assertEqual(calls, [("test_qr", 1300.0, str(self.customer.id), self.customer)] * 2)
        url = urlsplit(src)
        base = urlsplit(self.env["ir.config_parameter"].sudo().get_param("web.base.url"))
        self.assertEqual((url.scheme, url.netloc, url.path), (base.scheme, base.netloc, "/report/barcode/"))
        self.assertEqual(
            parse_qs(url.query),
            {
                "barcode_type": ["QR"],
                "width": ["128"],
                "height": ["128"],
                "value": [f"PAY 1300.0 {self.customer.id}"],
            },
        )
        image = self.url_open(f"{url.path}?{url.query}")
        self.assertEqual((image.status_code, image.headers["Content-Type"]), (200, "image/png"))
        self.assertIn(b'src="data:image/png;base64,', drawn)
        self.assertIn(self.customer._collection_portal_url().encode(), drawn, "the letter carries the link")

    def test_a_portal_user_finds_its_company_page(self):
        """A contact of the customer logged in to the portal is sent to its company's page."""
        user = new_test_user(self.env, login="debtor_portal", groups="base.group_portal")
        user.partner_id.parent_id = self.customer
        self.authenticate("debtor_portal", "debtor_portal")
        response = self.url_open("/my/collections")
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"/collections/{self.customer.id}/", response.url)
        self.assertIn(self.old.name, response.text)

    def test_letters_download_for_their_customer_only(self):
        self._run_demand()
        letter = (
            self.env["account.collection.history"]
            .sudo()
            .search([("partner_id", "=", self.customer.id), ("did_letter", "=", True)], limit=1)
        )
        self.assertTrue(letter)
        response = self.url_open(f"{self._page()}/letter/{letter.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        # Test mode renders reports as HTML instead of calling wkhtmltopdf: the letter's content.
        self.assertIn(self.old.name.encode(), response.content)
        self.assertEqual(self.url_open(f"{self._page(self.stranger)}/letter/{letter.id}").status_code, 404)
        # The letter a reminder e-mail carried is served as it was sent, not drawn again.
        sent = self.env["ir.attachment"].create(
            {"name": "Dunning letter.pdf", "raw": b"%PDF-1.4 as sent", "mimetype": "application/pdf"}
        )
        mail = (
            self.env["mail.mail"]
            .sudo()
            .create({"body_html": "<p>Reminder</p>", "attachment_ids": [(4, sent.id)]})
        )
        letter.sudo().mail_id = mail
        self.assertEqual(self.url_open(f"{self._page()}/letter/{letter.id}").content, b"%PDF-1.4 as sent")

    def _run_demand(self):
        """Log a demand step with a letter for the customer (as the run would)."""
        self.env["account.collection.history"].sudo()._collection_insert(
            [
                {
                    "date": self.today,
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "ladder_id": self.ladder.id,
                    "level_id": self.levels[2].id,
                    "user_id": self.collector.id,
                    "line_ids": (self.old | self.recent).collection_item_ids.ids,
                    "amount": 1300.0,
                    "did_email": True,
                    "did_letter": True,
                    "letter_state": "to_post",
                }
            ]
        )

    # ------------------------------------------------------------------
    # Promises and disputes
    # ------------------------------------------------------------------
    def test_a_promise_within_the_limit_pauses_the_ladder(self):
        """The company lets customers promise up to 10 days ahead: 1,300 in a week is recorded
        like a promise taken by phone (open, the collector's, from the portal), the overdue
        invoices are held, the collector gets a task and the customer's chatter says it."""
        self.company.sudo().collection_portal_promise_days = 10
        day = self.today + timedelta(days=7)
        response = self._post(
            f"{self._page()}/promise", company_id=self.company.id, amount_1="1300", date_1=day.isoformat()
        )
        self.assertIn("message=promise", response.url)
        promise = self.env["account.collection.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(
            (promise.state, promise.source, promise.amount, promise.date, promise.user_id),
            ("open", "portal", 1300.0, day, self.collector),
        )
        self.assertEqual(promise.move_ids, self.old | self.recent)
        demand = self.customer._collection_demand()
        self.assertFalse(demand.due, "the ladder demands nothing under the promise")
        self.assertEqual(self._todo("promised to pay").user_id, self.collector)
        self.assertIn("promised to pay", self.customer.message_ids[0].body)
        self.assertIn("payment promised, not demanded", self.url_open(self._page()).text)

    def test_instalments_are_one_plan(self):
        """600 in 3 days and 700 in 8 days, within the 10 days the company allows: two promises
        of one plan (1 of 2, 2 of 2), the later one last. Two instalments on one day, or more
        than is owed in total, are refused."""
        self.company.sudo().collection_portal_promise_days = 10
        first, second = self.today + timedelta(days=3), self.today + timedelta(days=8)
        for data, error in (
            ({"amount_2": "700", "date_2": first.isoformat()}, "its own date"),
            ({"amount_2": "800", "date_2": second.isoformat()}, "promise no more than that"),
        ):
            response = self._post(
                f"{self._page()}/promise",
                company_id=self.company.id,
                amount_1="600",
                date_1=first.isoformat(),
                **data,
            )
            self.assertIn(error, response.text)
        response = self._post(
            f"{self._page()}/promise",
            company_id=self.company.id,
            amount_1="700",
            date_1=second.isoformat(),
            amount_2="600",
            date_2=first.isoformat(),
        )
        self.assertIn("message=promise", response.url)
        plan = self.env["account.collection.promise"].search(
            [("partner_id", "=", self.customer.id)], order="date"
        )
        self.assertEqual(
            [(p.amount, p.date, p.instalment, p.instalment_count) for p in plan],
            [(600.0, first, 1, 2), (700.0, second, 2, 2)],
        )

    def test_an_opening_balance_is_left_out_of_a_promise(self):
        """An overdue opening balance (an entry, not an invoice) is owed too, but a promise
        covers invoices: promising the 1,300 left of the invoices is a promise, not refused for
        exceeding them; the form offers that amount."""
        self._opening_balance(300.0, self.today - timedelta(days=2), day=self.today - timedelta(days=40))
        self.assertIn('value="1300.00"', self.url_open(self._page()).text)
        response = self._post(
            f"{self._page()}/promise",
            company_id=self.company.id,
            amount_1="1300",
            date_1=self.today.isoformat(),
        )
        self.assertIn("message=promise", response.url)
        promise = self.env["account.collection.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual((promise.amount, promise.move_ids), (1300.0, self.old | self.recent))

    def test_a_later_date_or_too_much_is_not_a_promise(self):
        """Without a tolerance the customer may promise today at the latest: a date next week
        is sent to the collector as a request. More than is owed, or a date in the past, is
        refused with a message on the page, and nothing is recorded."""
        response = self._post(
            f"{self._page()}/promise",
            company_id=self.company.id,
            amount_1="500",
            date_1=(self.today + timedelta(days=7)).isoformat(),
        )
        self.assertIn("message=request", response.url)
        self.assertFalse(
            self.env["account.collection.promise"].search([("partner_id", "=", self.customer.id)])
        )
        self.assertEqual(self._todo("asks to pay").user_id, self.collector)
        # The customer's chatter keeps the request, in the customer's name.
        logged = self.customer.message_ids[0]
        self.assertIn("the customer asks to pay", logged.body)
        self.assertEqual(logged.author_id, self.customer)
        # Part of the debt, even today: a token amount must not pause the whole demand.
        response = self._post(
            f"{self._page()}/promise",
            company_id=self.company.id,
            amount_1="0.01",
            date_1=self.today.isoformat(),
        )
        self.assertIn("message=request", response.url)
        self.assertFalse(
            self.env["account.collection.promise"].search([("partner_id", "=", self.customer.id)])
        )
        self.assertIn("Less than", str(self._todo("0.01").note))
        # The customer's approved tolerance widens the limit: 30 days from the oldest due date.
        self.customer.collection_tolerance_days = 30
        limit = self.customer._collection_portal_promise_limit()
        self.assertEqual(limit, self.old.invoice_date_due + timedelta(days=30))
        for amount, day, error in (
            ("2000", self.today, "promise no more than that"),
            ("100", self.today - timedelta(days=1), "cannot be in the past"),
            ("0", self.today, "greater than zero"),
        ):
            response = self._post(
                f"{self._page()}/promise", company_id=self.company.id, amount_1=amount, date_1=day.isoformat()
            )
            self.assertIn(error, response.text)
        # Another company's section cannot be acted on.
        other = self.setup_other_company(name="Portal Other Co")["company"]
        response = self._post(
            f"{self._page()}/promise", company_id=other.id, amount_1="100", date_1=self.today.isoformat()
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(
            self.env["account.collection.promise"].search([("partner_id", "=", self.customer.id)])
        )

    def test_a_long_tolerance_stops_at_the_promise_horizon(self):
        """A 60-day tolerance from the oldest due date (20 days ago) would let the customer
        promise alone up to 40 days ahead, but no promise may be dated beyond the company's
        30-day horizon: the page says 30 days, a date in 35 days is a request for the collector
        (not refused), and a date in 30 days is a promise."""
        self.customer.collection_tolerance_days = 60
        horizon = self.today + timedelta(days=30)
        self.assertEqual(self.company.sudo().collection_promise_horizon, 30)
        self.assertEqual(self.customer._collection_portal_promise_limit(), horizon)
        page = self.url_open(self._page()).text
        self.assertIn(f"Up to {format_date(self.env, horizon)}, your promise is recorded at once", page)
        response = self._post(
            f"{self._page()}/promise",
            company_id=self.company.id,
            amount_1="1300",
            date_1=(self.today + timedelta(days=35)).isoformat(),
        )
        self.assertIn("message=request", response.url)
        self.assertNotIn("alert-warning", response.text)
        self.assertFalse(
            self.env["account.collection.promise"].search([("partner_id", "=", self.customer.id)])
        )
        self.assertIn(format_date(self.env, horizon), str(self._todo("asks to pay").note))
        response = self._post(
            f"{self._page()}/promise", company_id=self.company.id, amount_1="1300", date_1=horizon.isoformat()
        )
        self.assertIn("message=promise", response.url)
        promise = self.env["account.collection.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual((promise.amount, promise.date, promise.state), (1300.0, horizon, "open"))

    def test_a_portal_promise_is_judged_like_a_phone_promise(self):
        """Promises made on the portal are decided by the daily evaluation and its rules, as
        those taken by phone: paid on the last day of grace (promised Wednesday 17 June 2026,
        3 working days: Thursday, Friday, Monday 22), kept; unpaid, open until then and broken
        the day after, escalating as the phone promise of the same terms does: the next level
        at once, a call for the collector, a task for the manager, the customer's chatter."""
        monday = date(2026, 6, 15)
        promised, deadline, broken_on = date(2026, 6, 17), date(2026, 6, 22), date(2026, 6, 23)
        self.company.sudo().collection_portal_promise_days = 10
        Promise = self.env["account.collection.promise"]
        with freeze_time(monday):
            payer, defaulter, caller = self.env["res.partner"].create(
                [
                    {"name": name, "is_company": True, "collection_user_id": self.collector.id}
                    for name in ("Payer Ltd", "Defaulter Ltd", "Phone Ltd")
                ]
            )
            invoice = {
                partner: self._invoice(partner, 800.0, date(2026, 6, 10))
                for partner in (payer, defaulter, caller)
            }
            # What the page's form posts (the controller only reads the request).
            for partner in (payer, defaulter):
                outcome = partner.with_company(self.company)._collection_portal_promise([(800.0, promised)])
                self.assertEqual(outcome, "promise")
            phone = (
                self.env["account.collection.call"]
                .with_user(self.collector)
                ._collection_log(
                    caller,
                    self.env.ref("account_collections.account_collection_outcome_promise"),
                    invoice[caller],
                    details={"lines": [(800.0, promised)]},
                )
                .promise_ids
            )
        kept, broken = (Promise.search([("partner_id", "=", partner.id)]) for partner in (payer, defaulter))
        self.assertEqual((kept | broken).mapped("source"), ["portal", "portal"])
        with freeze_time(deadline):
            self._pay(invoice[payer], 800.0, deadline)
            Promise._cron_evaluate()
        self.assertEqual((kept.state, broken.state, phone.state), ("kept", "open", "open"))
        with freeze_time(broken_on):
            Promise._cron_evaluate()
        self.assertEqual((kept.state, broken.state, phone.state), ("kept", "broken", "broken"))
        for partner in (defaulter, caller):
            partner.invalidate_recordset(["activity_ids", "message_ids"])
            self.assertEqual(invoice[partner].collection_level_date, broken_on, "the next level at once")
            call = partner.activity_ids.filtered(lambda a: (a.summary or "").startswith("Promise broken"))
            self.assertEqual((call.user_id, call.date_deadline), (self.collector, date(2026, 6, 24)))
            review = partner.activity_ids.filtered(lambda a: "Review: Promise broken" in (a.summary or ""))
            self.assertEqual(review.user_id, self.manager)
            self.assertTrue(partner.message_ids.filtered(lambda m: "Promise broken" in (m.body or "")))
        self.assertFalse(
            payer.activity_ids.filtered(lambda a: "Promise broken" in (a.summary or "")), "a kept promise"
        )

    def test_a_dispute_holds_that_invoice_only(self):
        """The customer disputes the older invoice with a document: that invoice is held, the
        other is still demanded, the document is on the invoice, the collector has the task. The
        stranger's invoice cannot be disputed from this page."""
        response = self.url_open(
            f"{self._page()}/dispute",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "company_id": self.company.id,
                "move_id": self.old.id,
                "reason": "Goods returned on delivery",
            },
            files={"attachment": ("return-note.pdf", b"%PDF-1.4 returned", "application/pdf")},
        )
        self.assertIn("message=dispute", response.url)
        self.assertTrue(self.old.collection_disputed)
        demand = self.customer._collection_demand()
        self.assertEqual([item["move_id"] for item in demand.due], [self.recent.id])
        message = self.old.message_ids.filtered(lambda m: "Goods returned on delivery" in (m.body or ""))
        self.assertEqual(message.attachment_ids.name, "return-note.pdf")
        self.assertEqual(self._todo("disputes").user_id, self.collector)
        # The customer's chatter keeps the dispute and its reason, in the customer's name.
        logged = self.customer.message_ids[0]
        self.assertIn(f"the customer disputes {self.old.name}: Goods returned on delivery", logged.body)
        self.assertEqual(logged.author_id, self.customer)
        self.assertIn("under review", self.url_open(self._page()).text)
        response = self._post(
            f"{self._page()}/dispute",
            company_id=self.company.id,
            move_id=self.stranger_invoice.id,
            reason="Not mine",
        )
        self.assertIn("not one of your open invoices", response.text)
        self.assertFalse(self.stranger_invoice.collection_disputed)
        response = self._post(
            f"{self._page()}/dispute", company_id=self.company.id, move_id=self.recent.id, reason=" "
        )
        self.assertIn("Say why", response.text)
        self.assertFalse(self.recent.collection_disputed)

    def test_forms_posted_without_the_csrf_token_are_refused(self):
        """The page's forms carry Odoo's CSRF token: a promise or a dispute posted from another
        site (no token, or a made-up one) with a valid link is refused (400) and records
        nothing: no promise, no held invoice, no task, no message."""
        self.company.sudo().collection_portal_promise_days = 10
        messages, activities = self.customer.message_ids, self.customer.activity_ids
        promise = {"company_id": self.company.id, "amount_1": "1300", "date_1": self.today.isoformat()}
        dispute = {"company_id": self.company.id, "move_id": self.old.id, "reason": "Goods returned"}
        for token in ({}, {"csrf_token": "0" * 40 + "o9999999999"}):
            with mute_logger("odoo.http"):
                responses = [
                    self.url_open(f"{self._page()}/promise", data={**promise, **token}),
                    self.url_open(
                        f"{self._page()}/dispute",
                        data={**dispute, **token},
                        files={"attachment": ("note.pdf", b"%PDF-1.4 forged", "application/pdf")},
                    ),
                ]
            self.assertEqual([response.status_code for response in responses], [400, 400], token)
        self.assertFalse(
            self.env["account.collection.promise"].search([("partner_id", "=", self.customer.id)])
        )
        self.assertFalse(self.old.collection_disputed)
        self.customer.invalidate_recordset(["message_ids", "activity_ids"])
        self.assertEqual(self.customer.message_ids, messages)
        self.assertEqual(self.customer.activity_ids, activities)
        # The same forms with the page's token are accepted: the refusal was the token's.
        self.assertIn("message=promise", self._post(f"{self._page()}/promise", **promise).url)

    def test_the_customer_sees_where_its_disputes_stand(self):
        """Disputed from the page: under review, since the day it was disputed. Once the
        collector resolves it the invoice is demanded again, and the page says the dispute was
        resolved and when, for 60 days. Nobody dates a dispute by hand."""
        today = format_date(self.env, self.today)
        self._post(
            f"{self._page()}/dispute",
            company_id=self.company.id,
            move_id=self.old.id,
            reason="Wrong quantity",
        )
        self.assertEqual(self.old.collection_dispute_date, self.today)
        page = self.url_open(self._page()).text
        self.assertIn(f"under review by your contact since {today}", page)
        self.assertNotIn("resolved by your contact", page)
        self.old.with_user(self.collector).action_collection_resolve_dispute()
        self.assertEqual(self.old.collection_dispute_resolved_date, self.today)
        self.assertIn(self.old.id, [item["move_id"] for item in self.customer._collection_demand().due])
        page = self.url_open(self._page()).text
        self.assertIn(f"{self.old.name}:", page)
        self.assertIn(f"resolved by your contact on {today}", page)
        self.assertNotIn("under review", page)
        # Shown for 60 days after the resolution, then no more.
        self.old.sudo().collection_dispute_resolved_date = self.today - timedelta(days=60)
        self.assertIn("resolved by your contact on", self.url_open(self._page()).text)
        self.old.sudo().collection_dispute_resolved_date = self.today - timedelta(days=61)
        self.assertNotIn("resolved by your contact on", self.url_open(self._page()).text)
        # Disputed again (a call's outcome): under review again, the old resolution forgotten.
        self.old.sudo().collection_disputed = True
        self.assertEqual(
            (self.old.collection_dispute_date, self.old.collection_dispute_resolved_date), (self.today, False)
        )
        for name in ("collection_dispute_date", "collection_dispute_resolved_date"):
            with self.assertRaises(AccessError):
                self.recent.with_user(self.collector).write({name: self.today})
        self.assertFalse(self.recent.collection_dispute_resolved_date)

    def test_tour_promise_in_instalments_then_dispute(self):
        """In a real browser, without logging in: the debtor promises 600 today and 700 in a
        week, then disputes the older invoice."""
        if not any(shutil.which(name) for name in CHROME):
            self.skipTest("Chromium is not installed (apt install chromium chromium-driver)")
        self.company.sudo().collection_portal_promise_days = 10
        self.start_tour(self._page(), "account_collections_portal_tour")
        plan = self.env["account.collection.promise"].search(
            [("partner_id", "=", self.customer.id)], order="date"
        )
        self.assertEqual(
            [(p.amount, p.date, p.source) for p in plan],
            [(600.0, self.today, "portal"), (700.0, self.today + timedelta(days=7), "portal")],
        )
        self.assertTrue(self.old.collection_disputed)
        self.assertFalse(self.recent.collection_disputed)
