"""The managers' figures against hand-computed data: daily snapshots, DSO, best possible DSO,
CEI, money collected and promises, per company and per collector, two currencies, a partial
payment and a credit note."""

from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged
from odoo.tools import format_date

from .common import CollectionsCommon

MARCH = date(2026, 3, 2)  # a Monday: the invoices' day and the first snapshot
APRIL = date(2026, 4, 1)  # 30 days later: the second snapshot, and a payment


@tagged("post_install", "-at_install")
class TestKpi(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        Partner = cls.env["res.partner"]
        cls.alpha = Partner.create(
            {"name": "Alpha", "is_company": True, "collection_user_id": cls.collector.id}
        )
        cls.beta = Partner.create(
            {"name": "Beta", "is_company": True, "collection_user_id": cls.collector_b.id}
        )
        # Alpha: 1,000 due 31 March. Beta: 1,000 EUR (500 in company currency) due 16 March,
        # and an open credit note of 100.
        cls.alpha_invoice = cls._invoice(cls.alpha, 1000.0, date(2026, 3, 31), invoice_date=MARCH)
        cls._invoice(cls.beta, 1000.0, date(2026, 3, 16), invoice_date=MARCH, currency=cls.eur)
        cls._invoice(cls.beta, 100.0, MARCH, invoice_date=MARCH, move_type="out_refund")
        # The other company (same currency) has a customer of its own: Delta owes it 300, due
        # 31 March.
        cls.other = cls.setup_other_company(name="KPI Other Co")["company"]
        cls.delta = Partner.create({"name": "Delta", "is_company": True})
        cls._invoice(cls.delta, 300.0, date(2026, 3, 31), invoice_date=MARCH, company=cls.other)

    def _take(self, day, company=None):
        company = company or self.company
        with freeze_time(day):
            return (
                self.env["account.collection.snapshot"].with_company(company)._collection_take(company, day)
            )

    def _snap(self, partner, day):
        return self.env["account.collection.snapshot"].search(
            [("partner_id", "=", partner.id), ("date", "=", day)]
        )

    def _kpi(self, day, model="account.collection.kpi", **domain):
        self.env.flush_all()  # a report reads the tables: as a new request would find them
        with freeze_time(day):
            rows = self.env[model].search(
                [("company_id", "=", self.company.id), ("date", "=", day)]
                + [(name, "=", value) for name, value in domain.items()]
            )
            rows.fetch()
            return rows

    def _hand_over_alpha(self):
        """The ladder hands Alpha's invoice to the lawyers on 20 March (its history step)."""
        self.env["account.collection.history"].sudo()._collection_insert(
            [
                {
                    "date": date(2026, 3, 20),
                    "partner_id": self.alpha.id,
                    "company_id": self.company.id,
                    "ladder_id": self.ladder.id,
                    "level_id": self.levels[-1].id,
                    "user_id": self.collector.id,
                    "line_ids": self.alpha_invoice.collection_item_ids.ids,
                    "amount": 1000.0,
                    "did_legal": True,
                }
            ]
        )

    def test_snapshot_keeps_what_was_owed_each_day(self):
        self.assertEqual(self._take(MARCH), 2)
        alpha, beta = self._snap(self.alpha, MARCH), self._snap(self.beta, MARCH)
        self.assertEqual((alpha.open_amount, alpha.not_due, alpha.overdue_amount), (1000.0, 1000.0, 0.0))
        # 500 not due, less the credit note of 100 (dated the same day, so "not due" too).
        self.assertEqual((beta.open_amount, beta.not_due, beta.overdue_amount), (400.0, 400.0, 0.0))
        self.assertEqual((alpha.user_id, beta.user_id), (self.collector, self.collector_b))
        # Alpha pays 600 on 1 April.
        self._pay(self.alpha_invoice, 600.0, APRIL)
        self._take(APRIL)
        alpha, beta = self._snap(self.alpha, APRIL), self._snap(self.beta, APRIL)
        self.assertEqual((alpha.open_amount, alpha.overdue_amount, alpha.days_1_30), (400.0, 400.0, 400.0))
        self.assertEqual(alpha.overdue_days, 1)
        # 500 sixteen days late, the credit note of 100 thirty days old: both in 1-30 days.
        self.assertEqual((beta.open_amount, beta.overdue_amount, beta.days_1_30), (400.0, 400.0, 400.0))
        # The same rule as the customer's credit tab, on that day.
        with freeze_time(APRIL):
            self.env.invalidate_all()
            self.assertEqual(self.beta.collection_overdue_amount, beta.overdue_amount)
        # The March snapshot still says what was true in March.
        self.assertEqual(self._snap(self.alpha, MARCH).open_amount, 1000.0)
        # Taken again the same day: replaced, not doubled.
        self._take(APRIL)
        self.assertEqual(len(self._snap(self.alpha, APRIL)), 1)

    def test_snapshots_are_kept_for_the_retention(self):
        self._take(MARCH)
        self.company.sudo().collection_snapshot_retention_days = 20
        self._take(APRIL)
        self.assertFalse(self._snap(self.alpha, MARCH), "older than 20 days: deleted")
        self.assertTrue(self._snap(self.alpha, APRIL))

    def test_company_figures(self):
        """On 1 April: receivable 800 (400 + 400), all overdue; credit sales of the last 90 days
        1,400 (1,000 + 500 - 100). DSO = 800 / 1,400 x 90 = 51.4; best possible DSO = 0 (nothing
        is current). CEI over the 30 days since 2 March: receivable then 1,400, no sales since:
        (1,400 + 0 - 800) / (1,400 + 0 - 0) x 100 = 42.9. Collected that day: 600."""
        self._take(MARCH)
        self._pay(self.alpha_invoice, 600.0, APRIL)
        with freeze_time(APRIL):
            self.env["account.collection.promise"].create(
                {
                    "partner_id": self.alpha.id,
                    "company_id": self.company.id,
                    "move_ids": [Command.set(self.alpha_invoice.ids)],
                    "currency_id": self.currency.id,
                    "amount": 200.0,
                    "date": date(2026, 4, 10),
                    "user_id": self.collector.id,
                }
            )
        self._take(APRIL)
        self._take(APRIL, company=self.other)
        row = self._kpi(APRIL)
        self.assertEqual(len(row), 1)
        self.assertEqual((row.open_amount, row.overdue_amount, row.not_due), (800.0, 800.0, 0.0))
        self.assertEqual(row.sales_90, 1400.0)
        self.assertAlmostEqual(row.dso, 800 / 1400 * 90)
        self.assertEqual(row.best_dso, 0.0)
        self.assertAlmostEqual(row.cei, (1400 - 800) / 1400 * 100)
        self.assertEqual(row.collected, 600.0)
        self.assertEqual((row.promise_count, row.promised_amount), (1, 200.0))
        self.assertEqual(row.customer_count, 2)
        march = self._kpi(MARCH)
        self.assertAlmostEqual(march.dso, 1400 / 1400 * 90)
        self.assertAlmostEqual(march.best_dso, 1400 / 1400 * 90)
        self.assertFalse(march.cei, "no snapshot 30 days before: no CEI")
        # A day without a snapshot has flows but no stock.
        between = self._kpi(date(2026, 3, 15))
        self.assertFalse(between.open_amount)
        # The other company's row holds its own customer and sales, none of this company's
        # receivable, payment or promise (and this company's row above none of Delta's 300).
        with freeze_time(APRIL):
            other = (
                self.env["account.collection.kpi"]
                .sudo()
                .search([("company_id", "=", self.other.id), ("date", "=", APRIL)])
            )
            self.assertEqual(
                (other.customer_count, other.open_amount, other.overdue_amount, other.sales_90),
                (1, 300.0, 300.0, 300.0),
            )
            self.assertEqual((other.collected, other.promise_count), (0.0, 0))

    def test_stocks_over_a_week_add_up_the_companies(self):
        """A manager with both companies active. On 2 March this company is owed 1,400 (Alpha
        1,000, Beta 400) and the other 300 (Delta): 1,700 by 3 customers. Alpha pays 600 on the
        3rd: 800 + 300 = 1,100. Over the week (the 4th and 5th have no snapshot yet) the
        receivable is (1,700 + 1,100) / 2 = 1,400 and the customers owing 3, not the average of
        the four company rows (700 and 1.5); per company, 1,100 and 300."""
        for day in (MARCH, date(2026, 3, 3)):
            if day != MARCH:
                with freeze_time(day):
                    self._pay(self.alpha_invoice, 600.0, day)
            self._take(day)
            self._take(day, company=self.other)
        self.manager.sudo().company_ids |= self.other
        self.env.flush_all()
        Kpi = self.env["account.collection.kpi"].with_user(self.manager)
        Kpi = Kpi.with_context(allowed_company_ids=[self.company.id, self.other.id])
        week = [("date", ">=", MARCH), ("date", "<=", date(2026, 3, 8))]
        with freeze_time(date(2026, 3, 5)):
            self.assertEqual(
                Kpi._read_group(week, ["date:day"], ["open_amount:avg"])[:2],
                [(MARCH, 1700.0), (date(2026, 3, 3), 1100.0)],
            )
            [(_, receivable, customers)] = Kpi._read_group(
                week, ["date:week"], ["open_amount:avg", "customer_count:avg"]
            )
            self.assertEqual((receivable, customers), (1400.0, 3.0))
            by_company = Kpi._read_group(week, ["company_id"], ["open_amount:avg"])
            self.assertEqual(dict(by_company), {self.company: 1100.0, self.other: 300.0})
            # The collectors' portfolios likewise: Collector A holds Alpha and Collector B Beta on
            # both days, two customers a day between them (not the one of an average row).
            Collector = self.env["account.collection.collector.kpi"].with_user(self.manager)
            Collector = Collector.with_context(allowed_company_ids=[self.company.id, self.other.id])
            [(customers,)] = Collector._read_group(
                [*week, ("user_id", "in", (self.collector | self.collector_b).ids)],
                [],
                ["customer_count:avg"],
            )
            self.assertEqual(customers, 2.0)

    def test_collector_figures(self):
        """Alpha is Collector A's, Beta Collector B's: A's portfolio on 1 April holds one customer
        with 400 overdue, and the 600 Alpha paid that day; B's holds Beta, 400 overdue, nothing
        collected."""
        self._pay(self.alpha_invoice, 600.0, APRIL)
        self._take(APRIL)
        mine = self._kpi(APRIL, "account.collection.collector.kpi", user_id=self.collector.id)
        theirs = self._kpi(APRIL, "account.collection.collector.kpi", user_id=self.collector_b.id)
        self.assertEqual((mine.customer_count, mine.overdue_amount, mine.collected), (1, 400.0, 600.0))
        self.assertEqual((theirs.customer_count, theirs.overdue_amount, theirs.collected), (1, 400.0, 0.0))
        # Rows are named for what they are (the form's breadcrumb), not by their row number.
        self.assertEqual(mine.display_name, f"Collector A, {format_date(self.env, APRIL)}")
        self.assertEqual(
            self._kpi(APRIL).display_name, f"{self.company.name}, {format_date(self.env, APRIL)}"
        )

    def test_disputes_handovers_and_drill_down(self):
        """Beta's invoice is disputed on 2 March and the dispute resolved on 12 March: one opened
        on the 2nd, one resolved on the 12th after 10 days. Alpha is handed to lawyers on 20 March
        and pays 600 on 1 April: recovered after the hand-over. Each figure opens its records."""
        # Tracked as in production (the test base turns tracking off).
        beta_invoice = (
            self.env["account.move"]
            .with_context(tracking_disable=False, mail_notrack=False)
            .search([("partner_id", "=", self.beta.id), ("move_type", "=", "out_invoice")])
        )
        # What the test data left pending is tracked (or not) in its own context first.
        self._flush_tracking()
        with freeze_time("2026-03-02 10:00:00"):
            beta_invoice.collection_disputed = True
            self._flush_tracking()
        self._take(MARCH)
        with freeze_time("2026-03-12 10:00:00"):
            beta_invoice.action_collection_resolve_dispute()
            self._flush_tracking()
        self.assertEqual(self._snap(self.beta, MARCH).disputed_amount, 500.0)
        self.assertEqual((self._kpi(MARCH).dispute_opened, self._kpi(MARCH).disputed_amount), (1, 500.0))
        resolved = self._kpi(date(2026, 3, 12))
        self.assertEqual((resolved.dispute_resolved, resolved.dispute_days), (1, 10.0))
        self._hand_over_alpha()
        self._pay(self.alpha_invoice, 600.0, APRIL)
        self._take(APRIL)
        row = self._kpi(APRIL)
        self.assertEqual((row.collected, row.recovered), (600.0, 600.0))
        self.assertEqual(self._kpi(date(2026, 3, 20)).legal_count, 1)
        with freeze_time(APRIL):
            receipts = self.env["account.move.line"].search(row.action_open_receipts()["domain"])
            self.assertEqual(receipts.partner_id, self.alpha)
            self.assertEqual(sum(receipts.mapped("balance")), -600.0)
            snapshots = self.env["account.collection.snapshot"].search(row.action_open_snapshots()["domain"])
            self.assertEqual(snapshots.partner_id, self.alpha | self.beta)
            # The dispute counts open the invoices concerned: opened on the 2nd, resolved on the 12th.
            Move = self.env["account.move"]
            opened = self._kpi(MARCH).action_open_disputes()
            self.assertEqual(Move.search(opened["domain"]), beta_invoice)
            self.assertEqual(
                opened["context"]["default_move_type"], "out_invoice", "with its Customer column"
            )
            self.assertFalse(Move.search(self._kpi(MARCH).action_open_resolved_disputes()["domain"]))
            resolved_day = self._kpi(date(2026, 3, 12))
            self.assertEqual(
                Move.search(resolved_day.action_open_resolved_disputes()["domain"]), beta_invoice
            )
            self.assertFalse(Move.search(resolved_day.action_open_disputes()["domain"]))
            handed = self._kpi(date(2026, 3, 20))
            history = self.env["account.collection.history"].search(handed.action_open_handovers()["domain"])
            self.assertEqual(history.partner_id, self.alpha)

    def test_collector_calls_planned_overdue_and_reviewed(self):
        """Collector A has two calls planned for 30 March, one still open on 1 April (overdue),
        and logs one call on 1 April, reviewed "Good" (3)."""
        call_type = self.env.ref("account_collections.mail_activity_type_collection_call")
        planned = self.env["mail.activity"].create(
            [
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": partner.id,
                    "activity_type_id": call_type.id,
                    "date_deadline": day,
                    "user_id": self.collector.id,
                }
                for partner, day in (
                    (self.alpha, date(2026, 3, 30)),
                    (self.beta, date(2026, 3, 30)),
                    (self.beta, date(2026, 4, 2)),
                )
            ]
        )
        with freeze_time("2026-04-01 09:00:00"):
            call = self.env["account.collection.call"].create(
                {
                    "partner_id": self.alpha.id,
                    "company_id": self.company.id,
                    "user_id": self.collector.id,
                    "outcome_id": self.env.ref("account_collections.account_collection_outcome_no_answer").id,
                }
            )
        call.with_user(self.manager).write({"review_rating": "3"})
        planned_row = self._kpi(APRIL, "account.collection.collector.kpi", user_id=self.collector.id)
        self.assertEqual((planned_row.call_count, planned_row.review_count, planned_row.rating), (1, 1, 3.0))
        # A third call is about the other company's receivables (a customer both companies
        # share): it counts there, not in the collector's own company.
        theirs = self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": self.alpha.id,
                "activity_type_id": call_type.id,
                "date_deadline": date(2026, 3, 30),
                "user_id": self.collector.id,
                "collection_company_id": self.other.id,
            }
        )
        with freeze_time(APRIL):
            march = (
                self.env["account.collection.collector.kpi"]
                .sudo()
                .search([("user_id", "=", self.collector.id), ("date", "=", date(2026, 3, 30))])
                .grouped("company_id")
            )
            self.assertEqual(
                (march[self.company].open_call_count, march[self.company].overdue_call_count), (2, 2)
            )
            self.assertEqual(march[self.other].open_call_count, 1)
            calls = self.env["account.collection.call"].search(planned_row.action_open_calls()["domain"])
            self.assertEqual(calls, call)
            # The open and overdue counts open the planned calls they count: the 30 March ones
            # of each company, overdue on 1 April; the one of 2 April is open, not yet overdue.
            Activity = self.env["mail.activity"]
            for row, expected in ((march[self.company], planned[:2]), (march[self.other], theirs)):
                self.assertEqual(Activity.search(row.action_open_planned_calls()["domain"]), expected)
                self.assertEqual(Activity.search(row.action_open_overdue_calls()["domain"]), expected)
            later = self._kpi(date(2026, 4, 2), "account.collection.collector.kpi", user_id=self.collector.id)
            self.assertEqual((later.open_call_count, later.overdue_call_count), (1, 0))
            self.assertEqual(Activity.search(later.action_open_planned_calls()["domain"]), planned[2])
            self.assertFalse(Activity.search(later.action_open_overdue_calls()["domain"]))

    def test_review_rating_weighs_every_rated_call(self):
        """Collector A's calls reviewed: one rated 5 on 1 April; three rated 2 and one not rated on
        2 April. Over the two days the rating is (5 + 3 x 2) / 4 = 2.75, not the average of the
        days' ratings ((5 + 2) / 2 = 3.5)."""
        no_answer = self.env.ref("account_collections.account_collection_outcome_no_answer")
        second = date(2026, 4, 2)
        self.env["account.collection.call"].sudo().create(
            [
                {
                    "partner_id": self.alpha.id,
                    "company_id": self.company.id,
                    "user_id": self.collector.id,
                    "outcome_id": no_answer.id,
                    "date": f"{day} 09:00:00",
                    "review_rating": rating,
                }
                for day, rating in (
                    (APRIL, "5"),
                    (second, "2"),
                    (second, "2"),
                    (second, "2"),
                    (second, False),
                )
            ]
        )
        day = self._kpi(second, "account.collection.collector.kpi", user_id=self.collector.id)
        self.assertEqual((day.call_count, day.rated_count, day.rating), (4, 3, 2.0))
        with freeze_time(second):
            [(rating, rated)] = self.env["account.collection.collector.kpi"]._read_group(
                [("user_id", "=", self.collector.id), ("date", ">=", APRIL), ("date", "<=", second)],
                [],
                ["rating:avg", "rated_count:sum"],
            )
        self.assertEqual(rated, 4)
        self.assertAlmostEqual(rating, 2.75)

    def test_promises_made_kept_and_broken(self):
        """Two promises on 1 April: Alpha's 200 by 10 April, kept by the payment of 6 April; Beta's
        150 EUR by 10 April (75 in company currency at the 2 EUR per USD of 1 April), not paid,
        broken on 16 April once the company's 3 working days of grace have passed. 1 April: 275
        promised; 6 April: one kept (200), kept rate 100%; 16 April: one broken (75), kept rate
        0%; by collector, A's kept and B's broken. The rate of 5 April (4 EUR per USD) changes
        nothing: a promise counts at the rate of the day it was agreed."""
        beta_invoice = self.env["account.move"].search(
            [("partner_id", "=", self.beta.id), ("move_type", "=", "out_invoice")]
        )
        self.env["res.currency.rate"].create(
            {"name": date(2026, 4, 5), "rate": 4.0, "currency_id": self.eur.id, "company_id": self.company.id}
        )
        self._take(MARCH)  # the figures' history starts with the first snapshot
        Promise = self.env["account.collection.promise"]
        with freeze_time(APRIL):
            promises = Promise.create(
                [
                    {
                        "partner_id": partner.id,
                        "company_id": self.company.id,
                        "move_ids": [Command.set(invoice.ids)],
                        "currency_id": invoice.currency_id.id,
                        "amount": amount,
                        "date": date(2026, 4, 10),
                        "user_id": user.id,
                    }
                    for partner, invoice, amount, user in (
                        (self.alpha, self.alpha_invoice, 200.0, self.collector),
                        (self.beta, beta_invoice, 150.0, self.collector_b),
                    )
                ]
            )
        paid_on, broken_on = date(2026, 4, 6), date(2026, 4, 16)
        with freeze_time(paid_on):
            self._pay(self.alpha_invoice, 200.0, paid_on)
            promises._evaluate(paid_on)
        with freeze_time(broken_on):
            promises._evaluate(broken_on)
        self.assertEqual(promises.mapped("state"), ["kept", "broken"])
        self.assertEqual(promises.mapped("state_date"), [paid_on, broken_on])
        self.assertEqual(promises.mapped("amount_company"), [200.0, 75.0])
        made = self._kpi(APRIL)
        self.assertEqual((made.promise_count, made.promised_amount), (2, 275.0))
        made_b = self._kpi(APRIL, "account.collection.collector.kpi", user_id=self.collector_b.id)
        self.assertEqual((made_b.promise_count, made_b.promised_amount), (1, 75.0))
        kept = self._kpi(paid_on)
        self.assertEqual(
            (kept.kept_count, kept.kept_amount, kept.broken_count, kept.kept_rate), (1, 200.0, 0, 100.0)
        )
        broken = self._kpi(broken_on)
        self.assertEqual((broken.kept_count, broken.broken_count, broken.broken_amount), (0, 1, 75.0))
        self.assertEqual(broken.kept_rate, 0.0)
        mine = self._kpi(paid_on, "account.collection.collector.kpi", user_id=self.collector.id)
        theirs = self._kpi(broken_on, "account.collection.collector.kpi", user_id=self.collector_b.id)
        self.assertEqual((mine.kept_count, mine.broken_count, mine.kept_rate), (1, 0, 100.0))
        self.assertEqual((theirs.kept_count, theirs.broken_count, theirs.kept_rate), (0, 1, 0.0))
        # Over the month: one promise kept of the two decided, 50%. Another customer's promise
        # broken on 16 April makes it one of three: 33.3%, not the average of the days' rates
        # (100% on the 6th, 0% on the 16th: 50%).
        gamma = self.env["res.partner"].create({"name": "Gamma", "is_company": True})
        gamma_invoice = self._invoice(gamma, 300.0, date(2026, 3, 16), invoice_date=MARCH)
        with freeze_time(APRIL):
            third = Promise.create(
                {
                    "partner_id": gamma.id,
                    "company_id": self.company.id,
                    "move_ids": [Command.set(gamma_invoice.ids)],
                    "currency_id": gamma_invoice.currency_id.id,
                    "amount": 100.0,
                    "date": date(2026, 4, 10),
                    "user_id": self.collector_b.id,
                }
            )
        with freeze_time(broken_on):
            third._evaluate(broken_on)
        self.assertEqual(third.state, "broken")
        self.env.flush_all()
        april = [
            ("date", ">=", APRIL),
            ("date", "<=", date(2026, 4, 30)),
            ("company_id", "=", self.company.id),
        ]
        with freeze_time(broken_on):
            [(kept_count, decided, rate)] = self.env["account.collection.kpi"]._read_group(
                april, [], ["kept_count:sum", "decided_count:sum", "kept_rate:avg"]
            )
            self.assertEqual((kept_count, decided), (1, 3))
            self.assertAlmostEqual(rate, 100 / 3)
            [(rate_b,)] = self.env["account.collection.collector.kpi"]._read_group(
                [*april, ("user_id", "=", self.collector_b.id)], [], ["kept_rate:avg"]
            )
            self.assertEqual(rate_b, 0.0)

    def test_drill_downs_of_recovered_holds_and_sales(self):
        """Beta is put on hold on 2 March (a manual hold; Alpha, nothing overdue, is not): one
        customer on hold, whose snapshot the count opens. Alpha is handed to lawyers on 20 March;
        on 1 April Alpha pays 600 and Beta 100 EUR (50): 650 collected, 600 recovered, which opens
        Alpha's payment only. The credit sales of 1 April (1,400) open the three documents of the
        90 days, not Gamma's invoice of 1 December nor the other company's."""
        self.company.sudo().collection_credit_hold = True
        self.beta.sudo().write({"collection_hold_manual": True, "collection_hold_reason": "Checks"})
        self._take(MARCH)
        march = self._kpi(MARCH)
        self.assertEqual((march.customer_count, march.hold_count), (2, 1))
        gamma = self.env["res.partner"].create({"name": "Gamma", "is_company": True})
        self._invoice(gamma, 50.0, date(2026, 1, 1), invoice_date=date(2025, 12, 1))
        self._hand_over_alpha()
        beta_invoice = self.env["account.move"].search(
            [("partner_id", "=", self.beta.id), ("move_type", "=", "out_invoice")]
        )
        self._pay(self.alpha_invoice, 600.0, APRIL)
        self._pay(beta_invoice, 100.0, APRIL)
        row = self._kpi(APRIL)
        self.assertEqual((row.collected, row.recovered, row.sales_90), (650.0, 600.0, 1400.0))
        with freeze_time(APRIL):
            snapshots = self.env["account.collection.snapshot"].search(march.action_open_holds()["domain"])
            self.assertEqual((snapshots.partner_id, snapshots.date), (self.beta, MARCH))
            Line = self.env["account.move.line"]
            self.assertEqual(
                Line.search(row.action_open_receipts()["domain"]).partner_id, self.alpha | self.beta
            )
            recovered = Line.search(row.action_open_recovered()["domain"])
            self.assertEqual((recovered.partner_id, sum(recovered.mapped("balance"))), (self.alpha, -600.0))
            sales = self.env["account.move"].search(row.action_open_sales()["domain"])
            self.assertEqual(sales.partner_id, self.alpha | self.beta)
            self.assertEqual(len(sales), 3)
            self.assertEqual(sum(sales.mapped("amount_total_signed")), row.sales_90)

    def test_call_outcomes_per_collector(self):
        """Collector A logs on 1 April a call without answer and one refusal, on 2 April two
        without answer and a call back, on 3 April a wrong contact; Collector B a refusal on
        1 April. A's rows of 1 and 2 April open A's five calls of those days, grouped by outcome
        (3 no answer, 1 refused, 1 call back); the row of 2 April, its three."""
        outcome = {
            name: self.env.ref(f"account_collections.account_collection_outcome_{name}")
            for name in ("no_answer", "refused", "call_back", "wrong_contact")
        }
        Call = self.env["account.collection.call"]
        calls = Call.sudo().create(
            [
                {
                    "partner_id": self.alpha.id,
                    "company_id": self.company.id,
                    "user_id": user.id,
                    "outcome_id": outcome[name].id,
                    "date": f"2026-04-0{day} 09:00:00",
                }
                for user, day, name in (
                    (self.collector, 1, "no_answer"),
                    (self.collector, 1, "refused"),
                    (self.collector, 2, "no_answer"),
                    (self.collector, 2, "no_answer"),
                    (self.collector, 2, "call_back"),
                    (self.collector, 3, "wrong_contact"),
                    (self.collector_b, 1, "refused"),
                )
            ]
        )
        self.env.flush_all()
        Collector = self.env["account.collection.collector.kpi"]
        with freeze_time(date(2026, 4, 3)):
            rows = Collector.search(
                [
                    ("company_id", "=", self.company.id),
                    ("user_id", "=", self.collector.id),
                    ("date", "in", (APRIL, date(2026, 4, 2))),
                ]
            )
            self.assertEqual(len(rows), 2)
            action = rows.action_open_outcomes()
            self.assertEqual(action["context"]["group_by"], ["outcome_id"])
            self.assertEqual(Call.search(action["domain"]), calls[:5])
            counts = dict(Call._read_group(action["domain"], ["outcome_id"], ["__count"]))
            self.assertEqual(
                counts, {outcome["no_answer"]: 3, outcome["refused"]: 1, outcome["call_back"]: 1}
            )
            second = rows.filtered(lambda row: row.date == date(2026, 4, 2))
            self.assertEqual(Call.search(second.action_open_outcomes()["domain"]), calls[2:5])
            # Its title names its day once (it read "<day> to <day>"), the two days' their span.
            self.assertEqual(second.action_open_outcomes()["name"], "Call outcomes, 04/02/2026")
            self.assertEqual(action["name"], "Call outcomes, 04/01/2026 to 04/02/2026")

    def test_aging_buckets(self):
        """On 1 April Gamma owes 100 due 20 February (40 days late: 31-60), 200 due 20 January
        (71 days: 61-90) and 400 due 1 December (121 days: over 90); Alpha (1,000, one day late)
        and Beta (400, 16 days) are in 1-30."""
        gamma = self.env["res.partner"].create({"name": "Gamma", "is_company": True})
        for amount, due in (
            (100.0, date(2026, 2, 20)),
            (200.0, date(2026, 1, 20)),
            (400.0, date(2025, 12, 1)),
        ):
            self._invoice(gamma, amount, due, invoice_date=due - timedelta(days=30))
        self._take(APRIL)
        row = self._kpi(APRIL)
        self.assertEqual(
            (row.not_due, row.days_1_30, row.days_31_60, row.days_61_90, row.days_over_90),
            (0.0, 1400.0, 100.0, 200.0, 400.0),
        )
        self.assertEqual((row.open_amount, row.overdue_amount), (2100.0, 2100.0))

    def test_a_promise_partly_kept(self):
        """Beta promises 300 EUR on 1 April (150 in company currency) by 10 April and pays 100 EUR
        on 6 April: on 16 April, past the grace, the promise is partly kept: 50 kept, nothing
        broken, kept rate 0% (one decided, none kept in full)."""
        beta_invoice = self.env["account.move"].search(
            [("partner_id", "=", self.beta.id), ("move_type", "=", "out_invoice")]
        )
        self._take(MARCH)
        with freeze_time(APRIL):
            promise = self.env["account.collection.promise"].create(
                {
                    "partner_id": self.beta.id,
                    "company_id": self.company.id,
                    "move_ids": [Command.set(beta_invoice.ids)],
                    "currency_id": self.eur.id,
                    "amount": 300.0,
                    "date": date(2026, 4, 10),
                    "user_id": self.collector_b.id,
                }
            )
        with freeze_time(date(2026, 4, 6)):
            self._pay(beta_invoice, 100.0, date(2026, 4, 6))
        decided_on = date(2026, 4, 16)
        with freeze_time(decided_on):
            promise._evaluate(decided_on)
        self.assertEqual(
            (promise.state, promise.state_date, promise.paid_amount, promise.amount_company),
            ("partial", decided_on, 100.0, 150.0),
        )
        row = self._kpi(decided_on)
        self.assertEqual(
            (row.partial_count, row.kept_count, row.broken_count, row.decided_count), (1, 0, 0, 1)
        )
        self.assertEqual((row.kept_amount, row.broken_amount, row.kept_rate), (50.0, 0.0, 0.0))

    def test_dispute_age_is_weighted_over_the_period(self):
        """Beta's invoice is disputed on 2 March and resolved on 12 March (10 days); Alpha's two
        invoices are disputed on 10 March and resolved on 13 March (3 days each). Over March the
        age is (10 + 3 + 3) / 3 = 5.33 days, not the average of the two days' ages (6.5)."""
        alpha_second = self._invoice(self.alpha, 200.0, date(2026, 3, 31), invoice_date=MARCH)
        Move = self.env["account.move"].with_context(tracking_disable=False, mail_notrack=False)
        beta_invoice = Move.search([("partner_id", "=", self.beta.id), ("move_type", "=", "out_invoice")])
        alpha_invoices = Move.browse((self.alpha_invoice | alpha_second).ids)
        self._flush_tracking()
        self._take(MARCH)
        for moment, invoices, disputed in (
            ("2026-03-02 10:00:00", beta_invoice, True),
            ("2026-03-10 10:00:00", alpha_invoices, True),
            ("2026-03-12 10:00:00", beta_invoice, False),
            ("2026-03-13 10:00:00", alpha_invoices, False),
        ):
            with freeze_time(moment):
                if disputed:
                    invoices.collection_disputed = True
                else:
                    invoices.action_collection_resolve_dispute()
                self._flush_tracking()
        self.assertEqual(
            (self._kpi(date(2026, 3, 12)).dispute_days, self._kpi(date(2026, 3, 13)).dispute_days),
            (10.0, 3.0),
        )
        with freeze_time(date(2026, 3, 31)):
            [(resolved, aged, age)] = self.env["account.collection.kpi"]._read_group(
                [
                    ("company_id", "=", self.company.id),
                    ("date", ">=", MARCH),
                    ("date", "<=", date(2026, 3, 31)),
                ],
                [],
                ["dispute_resolved:sum", "dispute_aged:sum", "dispute_days:avg"],
            )
        self.assertEqual((resolved, aged), (3, 3))
        self.assertAlmostEqual(age, 16 / 3)

    def test_the_daily_job_snapshots_every_company(self):
        """The scheduled job, run on 1 April: today's snapshot of each company (Alpha and Beta
        here, Delta in the other company), and this company's snapshot of 2 March deleted past
        its 20 days of retention."""
        self._take(MARCH)
        self.company.sudo().collection_snapshot_retention_days = 20
        Snapshot = self.env["account.collection.snapshot"].sudo()
        with freeze_time(APRIL):
            Snapshot._cron_collection_snapshot()
        taken = Snapshot.search([("company_id", "in", (self.company | self.other).ids)])
        self.assertEqual(
            {(snap.date, snap.company_id, snap.partner_id) for snap in taken},
            {
                (APRIL, self.company, self.alpha),
                (APRIL, self.company, self.beta),
                (APRIL, self.other, self.delta),
            },
        )
        self.assertEqual(taken.filtered(lambda snap: snap.partner_id == self.delta).open_amount, 300.0)

    def test_upgrade_names_the_company_of_the_calls_the_run_planned(self):
        """19.0.1.2.0: a call planned by the run before the upgrade gets the company of its step;
        a call planned by hand keeps none."""
        call_type = self.env.ref("account_collections.mail_activity_type_collection_call")
        planned, by_hand = self.env["mail.activity"].create(
            [
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": partner.id,
                    "activity_type_id": call_type.id,
                    "date_deadline": APRIL,
                    "user_id": self.collector.id,
                }
                for partner in (self.alpha, self.beta)
            ]
        )
        self.env["account.collection.history"].sudo()._collection_insert(
            [
                {
                    "date": APRIL,
                    "partner_id": self.alpha.id,
                    "company_id": self.other.id,
                    "ladder_id": self.ladder.id,
                    "level_id": self.levels[0].id,
                    "user_id": self.collector.id,
                    "activity_id": planned.id,
                    "did_call": True,
                }
            ]
        )
        self._run_migration("19.0.1.2.0", "19.0.1.1.0")
        self.assertEqual(planned.collection_company_id, self.other)
        self.assertFalse(by_hand.collection_company_id)

    def test_a_customer_who_pays_everything_counts_for_its_collector(self):
        """Alpha pays its 1,000 in full on 1 April: the April snapshot no longer holds it, and the
        payment still counts for Collector A, who held it in the last snapshot before it paid."""
        self._take(MARCH)
        self._pay(self.alpha_invoice, 1000.0, APRIL)
        self._take(APRIL)
        self.assertFalse(self._snap(self.alpha, APRIL))
        mine = self._kpi(APRIL, "account.collection.collector.kpi", user_id=self.collector.id)
        self.assertEqual(mine.collected, 1000.0)
        with freeze_time(APRIL):
            receipts = self.env["account.move.line"].search(mine.action_open_receipts()["domain"])
            self.assertEqual((receipts.partner_id, sum(receipts.mapped("balance"))), (self.alpha, -1000.0))
            theirs = self._kpi(APRIL, "account.collection.collector.kpi", user_id=self.collector_b.id)
            self.assertEqual(len(theirs), 1)
            self.assertFalse(
                self.env["account.move.line"].search(theirs.action_open_receipts()["domain"]),
                "Alpha's payment is not in Collector B's drill-down",
            )
