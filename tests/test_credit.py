from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import CollectionsCommon

TODAY = date(2026, 6, 15)


def days(n):
    return TODAY + timedelta(days=n)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCreditTerms(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2020-01-01", 2.0)])
        cls.company.sudo().write({"collection_credit_hold": True, "collection_limit_policy": "block"})

    def _status(self, partner):
        """Credit status as a new request would see it (the figures are not cached)."""
        partner.invalidate_recordset()
        return partner.collection_credit_status

    def _mixed_portfolio(self):
        """Invoices in every bucket, a partial payment, a credit note, a payment and an EUR invoice."""
        inv_old = self._invoice(self.customer, 1000, days(-100))
        self._pay(inv_old, 400, days(-20))
        self._invoice(self.customer, 500, days(-45))
        self._invoice(self.customer, 300, days(-10))
        self._invoice(self.customer, 1000, days(10), currency=self.eur)  # 500 in company currency
        self._invoice(self.customer, 200, days(-5), move_type="out_refund")
        self.init_payment(150, post=True, date=days(-2), partner=self.customer)

    def test_exposure_and_aging(self):
        self._mixed_portfolio()
        partner = self.customer
        self.assertAlmostEqual(partner.collection_open_amount, 1550)
        # 600 + 500 + 300 overdue, less the 350 of unapplied credit note and payment.
        self.assertAlmostEqual(partner.collection_overdue_amount, 1050)
        self.assertEqual(partner.collection_overdue_days, 100)
        self.assertAlmostEqual(partner.collection_aging_not_due, 500)
        self.assertAlmostEqual(partner.collection_aging_1_30, 300 - 200 - 150)
        self.assertAlmostEqual(partner.collection_aging_31_60, 500)
        self.assertAlmostEqual(partner.collection_aging_61_90, 0)
        self.assertAlmostEqual(partner.collection_aging_over_90, 600)
        # A contact of the customer shows the customer's figures.
        contact = self.env["res.partner"].create({"name": "Accountant", "parent_id": partner.id})
        self.assertAlmostEqual(contact.collection_open_amount, 1550)
        # Search filters agree with the figures.
        Partner = self.env["res.partner"]
        self.assertIn(partner, Partner.search([("collection_overdue_days", ">", 90)]))
        self.assertNotIn(partner, Partner.search([("collection_overdue_days", ">", 100)]))
        self.assertIn(partner, Partner.search([("collection_overdue_amount", ">=", 1050)]))

    def test_customer_list_sorts_by_exposure(self):
        """The exposure columns of the customer list are sortable, in the figures' own order."""
        small, big, paid = self.env["res.partner"].create([{"name": n} for n in ("Small", "Big", "Paid")])
        self._invoice(small, 100, days(-70))
        self._invoice(big, 900, days(-10))
        self._invoice(big, 50, days(20))
        inv_paid = self._invoice(paid, 400, days(-5))
        self._pay(inv_paid, 400, days(-1))
        contact = self.env["res.partner"].create({"name": "Big's accountant", "parent_id": big.id})
        Partner = self.env["res.partner"]
        domain = [("id", "in", (small | big | paid | contact).ids)]
        fields_info = Partner.fields_get(["collection_overdue_amount", "collection_dso"], ["sortable"])
        self.assertTrue(fields_info["collection_overdue_amount"]["sortable"])
        self.assertFalse(fields_info["collection_dso"]["sortable"])

        def names(order):
            return Partner.search(domain, order=order).mapped("name")

        big_2 = "Big's accountant"
        self.assertEqual(names("collection_overdue_amount desc, id"), ["Big", big_2, "Small", "Paid"])
        self.assertEqual(names("collection_overdue_days desc, id"), ["Small", "Big", big_2, "Paid"])
        self.assertEqual(names("collection_aging_not_due desc, id")[:2], ["Big", big_2])
        self.assertEqual(names("collection_open_amount asc, id"), ["Paid", "Small", "Big", big_2])
        # The web client's list reads through web_search_read with the same order.
        rows = Partner.web_search_read(domain, {"name": {}}, order="collection_overdue_amount desc, id")
        self.assertEqual(rows["records"][0]["name"], "Big")

    def test_exposure_is_per_company(self):
        company_2 = self.setup_other_company(name="Second Co")["company"]
        self._invoice(self.customer, 999, days(-40), company=company_2)
        self._invoice(self.customer, 100, days(-3))
        self.assertAlmostEqual(self.customer.collection_open_amount, 100)
        other = self.customer.with_company(company_2)
        self.assertAlmostEqual(other.collection_open_amount, 999)
        self.assertEqual(other.collection_overdue_days, 40)

    def test_status_transitions(self):
        partner = self.customer
        self.assertEqual(self._status(partner), "normal")
        invoice = self._invoice(partner, 400, days(-12))
        self.assertEqual(self._status(partner), "hold")
        partner.with_user(self.manager).write(
            {
                "collection_tolerance_days": 15,
                "collection_tolerance_amount": 500,
                "collection_tolerance_reason": "Key",
            }
        )
        self.assertEqual(self._status(partner), "warning")
        self.assertEqual(partner.collection_tolerance_user_id, self.manager)
        self._invoice(partner, 200, days(-3))
        # 600 overdue now exceeds the 500 tolerated.
        self.assertEqual(self._status(partner), "hold")
        self.assertIn("exceeds the tolerated", partner.collection_hold_reasons)
        self._pay(invoice, 400, TODAY)
        self.assertEqual(self._status(partner), "warning")
        partner.with_user(self.manager).write(
            {"collection_hold_manual": True, "collection_hold_reason": "Fraud check"}
        )
        self.assertEqual(self._status(partner), "hold")
        self.assertIn("Fraud check", partner.collection_hold_reasons)

    def test_dso_counts_the_days_a_customer_has_been_one(self):
        """DSO = open receivable / invoicing of the last 90 days x 90; a customer first invoiced
        within those days is measured over the days since: invoiced yesterday, a day."""
        new = self.env["res.partner"].create({"name": "New Customer", "is_company": True})
        self._invoice(new, 1000, days(29), invoice_date=days(-1))
        self.assertAlmostEqual(new.collection_dso, 2.0)  # yesterday and today, all still open
        old = self.env["res.partner"].create({"name": "Old Customer", "is_company": True})
        self._invoice(old, 1000, days(-170), invoice_date=days(-200))  # long paid...
        self._pay(old.invoice_ids, 1000, days(-170))
        self._invoice(old, 900, days(-30), invoice_date=days(-60))
        self._invoice(old, 300, days(0), invoice_date=days(-30))
        self.assertAlmostEqual(old.collection_dso, 1200 / 1200 * 90)

    def test_nothing_is_on_hold_where_the_company_does_not_block(self):
        """Without *Block customers on credit hold*, a customer over its terms is in warning, with
        the reasons; the hold status (and its red badge) belongs to companies that block."""
        self._invoice(self.customer, 400, days(-1))
        self.assertEqual(self._status(self.customer), "hold")
        self.company.sudo().collection_credit_hold = False
        self.assertEqual(self._status(self.customer), "warning")
        self.assertIn("overdue", self.customer.collection_hold_reasons.lower())
        on_hold = self.env["res.partner"].search([("collection_credit_status", "=", "hold")])
        self.assertNotIn(self.customer, on_hold)

    def test_credit_limit_rule_warns_or_blocks(self):
        self.company.account_use_credit_limit = True
        self.customer.with_user(self.manager).write({"credit_limit": 1000})
        self._invoice(self.customer, 900, days(20))
        draft = self._invoice(self.customer, 300, days(30), post=False)
        with self.assertRaisesRegex(
            UserError, r"Exposure .*1,200.00.* exceeds the credit limit of .*1,000.00"
        ):
            draft.with_user(self.collector).action_post()
        self.assertEqual(draft.state, "draft")
        self.company.sudo().collection_limit_policy = "warn"
        draft.with_user(self.collector).action_post()
        self.assertEqual(draft.state, "posted")
        self.assertEqual(self._status(self.customer), "warning")

    def test_blocked_posting_message(self):
        self._invoice(self.customer, 700, days(-20))
        draft = self._invoice(self.customer, 100, days(30), post=False)
        with self.assertRaises(UserError) as error:
            draft.with_user(self.collector).action_post()
        self.assertEqual(
            str(error.exception),
            "Debtor Ltd is on credit hold:\n"
            "- Overdue for 20 days, more than the 0 days tolerated.\n"
            "- Overdue amount $\xa0700.00 exceeds the tolerated $\xa00.00.",
        )
        self.assertEqual(draft.state, "draft")
        # A credit note is never blocked: it lowers the debt.
        refund = self._invoice(self.customer, 50, days(0), post=False, move_type="out_refund")
        refund.with_user(self.collector).action_post()
        self.assertEqual(refund.state, "posted")

    def test_manager_override_with_reason(self):
        self._invoice(self.customer, 700, days(-20))
        draft = self._invoice(self.customer, 100, days(30), post=False)
        action = draft.with_user(self.manager).action_post()
        self.assertEqual(action["res_model"], "account.move.hold.override")
        self.assertEqual(draft.state, "draft")
        wizard = self.env["account.move.hold.override"].with_user(self.manager).browse(action["res_id"])
        self.assertIn("Overdue for 20 days", wizard.hold_message)
        form = Form(wizard)
        form.reason = "Paid by wire this morning"
        form.save().action_confirm()
        self.assertEqual(draft.state, "posted")
        self.assertEqual(draft.collection_hold_override_reason, "Paid by wire this morning")
        self.assertIn("Paid by wire this morning", draft.message_ids[0].body)
        self.assertIn("Paid by wire this morning", self.customer.message_ids[0].body)
        # A collector cannot use the wizard.
        with self.assertRaises(AccessError):
            wizard.with_user(self.collector).action_confirm()

    def test_release_after_payment_is_logged(self):
        invoice = self._invoice(self.customer, 700, days(-20))
        self.env["res.partner"]._cron_collection_credit_review()
        self.assertEqual(self.customer.collection_logged_status, "hold")
        self.assertIn("Credit hold:", self.customer.message_ids[0].body)
        self._pay(invoice, 700, TODAY)
        self.assertEqual(self._status(self.customer), "normal")
        self.assertIn("Credit hold released", self.customer.message_ids[0].body)
        # Logged once: a second review posts nothing new.
        count = len(self.customer.message_ids)
        self.env["res.partner"]._cron_collection_credit_review()
        self.assertEqual(len(self.customer.message_ids), count)

    def test_tolerance_expiry(self):
        self._invoice(self.customer, 300, days(-5))
        self.customer.with_user(self.manager).write(
            {
                "collection_tolerance_days": 10,
                "collection_tolerance_amount": 1000,
                "collection_tolerance_until": days(3),
            }
        )
        self.assertEqual(self._status(self.customer), "warning")
        with freeze_time(days(4)):
            # Lapsed even before the daily job runs ...
            self.customer.invalidate_recordset()
            self.assertEqual(self._status(self.customer), "hold")
            self.env["res.partner"]._cron_collection_credit_review()
            # ... and the job clears it and says so.
            self.assertEqual(self.customer.collection_tolerance_days, 0)
            self.assertFalse(self.customer.collection_tolerance_until)
            bodies = " ".join(self.customer.message_ids.mapped("body"))
            self.assertIn("has lapsed", bodies)
            self.assertIn("Credit hold", bodies)

    def test_credit_review_tracks_no_change_nobody_made(self):
        """The daily review across companies posts what happened (a hold, a lapsed tolerance),
        never a collector change nobody made ("Collector A → None")."""
        main = self.env.ref("base.main_company")
        # The review goes through the test company first, then the main one.
        self.company.sudo().sequence, main.sudo().sequence = 1, 2
        self._invoice(self.customer, 300, days(-5))  # goes on hold in the test company
        other = self.env["res.partner"].create({"name": "Other Customer", "is_company": True})
        other.with_company(main).sudo().write(
            {
                "collection_user_id": self.collector.id,
                "collection_tolerance_days": 5,
                "collection_tolerance_until": days(-1),
            }
        )
        self.env.flush_all()
        self.env.cr.precommit.run()
        before = other.message_ids | self.customer.message_ids
        self.env["res.partner"]._cron_collection_credit_review()
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking is written when the transaction commits
        new = (other.message_ids | self.customer.message_ids) - before
        self.assertIn("has lapsed", " ".join(new.mapped("body")))
        self.assertIn("Credit hold", " ".join(new.mapped("body")))
        self.assertFalse(new.tracking_value_ids, new.tracking_value_ids.mapped("field_id.name"))

    def test_collector_cannot_change_terms(self):
        as_collector = self.customer.with_user(self.collector)
        for vals in (
            {"collection_tolerance_days": 30},
            {"credit_limit": 5000},
            {"collection_hold_manual": True, "collection_hold_reason": "x"},
            # A collector does not take (or give away) a customer: managers hand debtors over.
            {"collection_user_id": self.collector.id},
        ):
            with self.assertRaisesRegex(UserError, "Only collections managers"):
                as_collector.write(vals)
        self.assertFalse(self.customer.collection_user_id)

    def test_manual_hold_needs_reason(self):
        with self.assertRaisesRegex(UserError, "Give a reason"):
            self.customer.with_user(self.manager).write({"collection_hold_manual": True})

    def test_credit_request_workflow(self):
        Request = self.env["account.collection.credit.request"]
        request = Request.with_user(self.collector).create(
            {
                "partner_id": self.customer.id,
                "change_credit_limit": True,
                "change_tolerance": True,
                "credit_limit": 20000,
                "tolerance_days": 15,
                "tolerance_amount": 2000,
                "tolerance_until": days(60),
                "reason": "Seasonal orders, pays reliably",
            }
        )
        self.assertEqual(request.state, "submitted")
        with self.assertRaises(AccessError):
            request.with_user(self.collector).action_approve()
        with self.assertRaises(AccessError):
            request.with_user(self.collector).write({"state": "approved"})
        request.with_user(self.manager).action_approve()
        self.assertEqual(request.state, "approved")
        self.assertEqual(request.decided_by_id, self.manager)
        self.assertEqual(self.customer.credit_limit, 20000)
        self.assertEqual(self.customer.collection_tolerance_days, 15)
        self.assertEqual(self.customer.collection_tolerance_until, days(60))
        self.assertEqual(self.customer.collection_tolerance_user_id, self.manager)
        refused = Request.with_user(self.collector).create(
            {
                "partner_id": self.customer.id,
                "change_credit_limit": True,
                "credit_limit": 90000,
                "reason": "More",
            }
        )
        refused.with_user(self.manager).write({"decision_note": "Too much"})
        refused.with_user(self.manager).action_refuse()
        self.assertEqual(self.customer.credit_limit, 20000)
        self.assertEqual(self.customer.collection_request_ids, request | refused)
        with self.assertRaises(UserError):
            refused.with_user(self.manager).action_approve()

    def test_credit_request_rejects_bad_input(self):
        Request = self.env["account.collection.credit.request"].with_user(self.collector)
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            Request.create(
                {
                    "partner_id": self.customer.id,
                    "change_credit_limit": True,
                    "credit_limit": -5,
                    "reason": "x",
                }
            )
        with self.assertRaisesRegex(ValidationError, "cannot end in the past"):
            Request.create(
                {
                    "partner_id": self.customer.id,
                    "change_tolerance": True,
                    "tolerance_until": days(-1),
                    "reason": "x",
                }
            )
        with self.assertRaisesRegex(ValidationError, "Say what the request changes"):
            Request.create({"partner_id": self.customer.id, "tolerance_days": 5, "reason": "x"})
        with self.assertRaises(AccessError):
            Request.create(
                {"partner_id": self.customer.id, "change_tolerance": True, "state": "approved", "reason": "x"}
            )
        self.assertFalse(Request.search([("partner_id", "=", self.customer.id)]))

    def test_credit_request_changes_only_the_terms_it_names(self):
        """Approving a tolerance leaves the credit limit alone (it used to reset it to 0: no
        limit), and a new limit leaves the tolerance alone."""
        self.customer.write(
            {"credit_limit": 5000, "use_partner_credit_limit": True, "collection_tolerance_days": 3}
        )
        Request = self.env["account.collection.credit.request"].with_user(self.collector)
        tolerance = Request.create(
            {
                "partner_id": self.customer.id,
                "change_tolerance": True,
                "tolerance_days": 10,
                "reason": "Audit",
            }
        )
        tolerance.with_user(self.manager).action_approve()
        self.assertEqual(self.customer.credit_limit, 5000)
        self.assertEqual(self.customer.collection_tolerance_days, 10)
        limit = Request.create(
            {
                "partner_id": self.customer.id,
                "change_credit_limit": True,
                "credit_limit": 8000,
                "reason": "Growth",
            }
        )
        limit.with_user(self.manager).action_approve()
        self.assertEqual(self.customer.credit_limit, 8000)
        self.assertEqual(self.customer.collection_tolerance_days, 10)

    def test_multi_company_isolation(self):
        company_2 = self.setup_other_company(name="Isolated Co")["company"]
        request = (
            self.env["account.collection.credit.request"]
            .with_company(company_2)
            .create(
                {
                    "partner_id": self.customer.id,
                    "change_credit_limit": True,
                    "credit_limit": 10,
                    "reason": "Other company",
                }
            )
        )
        self.assertEqual(request.company_id, company_2)
        visible = self.env["account.collection.credit.request"].with_user(self.manager).search([])
        self.assertNotIn(request, visible)
        with self.assertRaises(AccessError):
            request.with_user(self.manager).read(["credit_limit"])

    def test_exposure_query_count_is_constant(self):
        partners = self.env["res.partner"].create([{"name": f"Customer {i}"} for i in range(200)])
        moves = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": days(-40),
                    "invoice_date_due": days(-30 + i % 60),
                    "invoice_payment_term_id": False,
                    "invoice_line_ids": [Command.create({"name": "x", "price_unit": 100 + i, "tax_ids": []})],
                }
                for i, partner in enumerate(partners)
            ]
        )
        self._post_as_data(moves)

        def count_queries(records):
            records.invalidate_recordset()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            records.mapped("collection_aging_1_30")
            records.mapped("collection_credit_status")
            records.mapped("collection_hold_reasons")
            records.mapped("collection_broken_promise_count")
            return self.env.cr.sql_log_count - before

        count_queries(partners[-1])  # warm the caches of company, currency and user
        small, large = count_queries(partners[:20]), count_queries(partners)
        self.assertEqual(small, large)
        # One aggregate of the open items (with the broken promises) serves the figures, the
        # status and the reasons; the rest is the customers' terms and the company's settings.
        self.assertLessEqual(large, 7)
        self.assertAlmostEqual(partners[0].collection_overdue_amount, 100)
