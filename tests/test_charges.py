"""Late-payment charges: interest computed by hand (leap years, rate changes, grace, partial
payments, credits not yet matched, two currencies), fees, posting, never twice, waiving,
exemption, fee invoices undone only by a waiver, and who may do what."""

from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import format_date

from .common import CollectionsCommon

DUE = date(2026, 6, 1)  # a Monday
MONDAY = date(2026, 6, 15)
CLAIM_DAY = date(2026, 6, 19)  # the claim, four working days after the demand of 15 June


@tagged("post_install", "-at_install")
class TestCharges(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Policy = cls.env["account.collection.charge.policy"]
        cls.policy = Policy.create(
            {
                "name": "10% and 40 per item",
                "fee_currency_id": cls.currency.id,
                "fee_per_item": 40.0,
                "interest": True,
                "margin": 10.0,
                "day_count": "act_365",
            }
        )
        cls.demand, cls.claim = cls.levels.filtered(lambda lvl: lvl.name in ("Demand", "Claim"))
        (cls.demand | cls.claim).charge_policy_id = cls.policy
        # Enabled long ago: every late day of the tests' debts bears interest.
        cls.company.sudo().write(
            {"collection_charges_enabled": True, "collection_charges_since": date(2020, 1, 1)}
        )

    def _run(self, day):
        with freeze_time(day):
            return self.env["account.collection.run"]._collection_run(self.company, today=day)

    def _charges(self, partner=None):
        return self.env["account.collection.charge"].search(
            [("partner_id", "=", (partner or self.customer).id)]
        )

    # ------------------------------------------------------------------
    # Interest, computed by hand
    # ------------------------------------------------------------------
    def _interest(self, policy, changes, start, stop):
        return round(sum(period[5] for period in policy._interest(changes, start, stop)), 2)

    def test_interest_counts_leap_years_as_the_convention_says(self):
        """100,000 at 10% from 21 December 2024 to 10 January 2025: 11 days of a leap year and
        10 of the next. Actual/Actual: 100,000 x 10% x (11/366 + 10/365) = 300.55 + 273.97;
        Actual/365: 21/365 = 575.34; Actual/360: 21/360 = 583.33."""
        policy = self.policy.copy({"name": "Leap"})
        changes = [(date(2024, 12, 1), 100000.0)]
        start, stop = date(2024, 12, 21), date(2025, 1, 10)
        self.assertEqual(self._interest(policy, changes, start, stop), 575.34)
        policy.day_count = "act_act"
        self.assertEqual(self._interest(policy, changes, start, stop), 574.52)
        self.assertEqual(len(policy._interest(changes, start, stop)), 2, "one period per year")
        policy.day_count = "act_360"
        self.assertEqual(self._interest(policy, changes, start, stop), 583.33)

    def test_interest_follows_a_rate_change_mid_period(self):
        """The EU preset: the reference rate 3.15 from 1 January 2025, 2.15 from 1 July, plus 8
        points. 10,000 from 21 June to 10 July 2025: 10 days at 11.15% + 10 days at 10.15%
        = 30.55 + 27.81 = 58.36."""
        eu = self.env.ref("account_collections.charge_policy_eu")
        periods = eu._interest([(date(2025, 5, 1), 10000.0)], date(2025, 6, 21), date(2025, 7, 10))
        self.assertEqual([(p[3], p[4]) for p in periods], [(11.15, 10), (10.15, 10)])
        self.assertEqual(round(sum(p[5] for p in periods), 2), 58.36)

    def test_russian_preset_counts_days_over_the_years_length(self):
        """Article 395 at the key rate: 100,000 from 1 to 30 November 2025 at 16.5% (Actual/
        Actual, 365 days in 2025): 100,000 x 16.5% x 30/365 = 1,356.16."""
        ru = self.env.ref("account_collections.charge_policy_ru")
        self.assertEqual(
            self._interest(ru, [(date(2025, 10, 1), 100000.0)], date(2025, 11, 1), date(2025, 11, 30)),
            1356.16,
        )

    # ------------------------------------------------------------------
    # Charged by the run
    # ------------------------------------------------------------------
    def test_interest_starts_after_the_grace_days(self):
        """Five days of grace: 1,000 due 1 June bears interest from 7 June, the sixth day after
        the due date. The demand of 15 June charges 7 to 14 June: 1,000 x 10% x 8/365 = 2.19
        (13 days, 3.56, without the grace). A grace reaching past the day before the run (14
        days: from 16 June) charges no interest yet."""
        self.policy.grace_days = 5
        invoice = self._invoice(self.customer, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        self._run(MONDAY)
        interest = self._charges().filtered(lambda c: c.kind == "interest")
        self.assertEqual((interest.date_from, interest.date_to), (date(2026, 6, 7), date(2026, 6, 14)))
        self.assertAlmostEqual(interest.amount, 2.19)
        self.assertIn("(8 days at 10% on", interest.description)
        Charge = self.env["account.collection.charge"]
        longer = self.policy.copy({"name": "Two weeks of grace", "grace_days": 14})
        self.assertFalse(
            Charge._collection_interest_values(
                longer, self.demand, invoice.collection_item_ids, Charge, MONDAY
            )
        )

    def test_run_posts_fee_and_interest_on_what_was_owed_each_day(self):
        """1,000 due 1 June, 400 paid on 8 June; the demand step on 15 June charges the 40 fee
        and interest from 2 to 14 June: 1,000 x 10% x 6/365 + 600 x 10% x 7/365 = 1.64 + 1.15
        = 2.79 (2.794521 before rounding)."""
        invoice = self._invoice(self.customer, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        self._pay(invoice, 400.0, date(2026, 6, 8))
        self._run(MONDAY)
        charges = self._charges()
        self.assertEqual(sorted(charges.mapped("kind")), ["interest", "item_fee"])
        interest = charges.filtered(lambda c: c.kind == "interest")
        self.assertAlmostEqual(interest.amount, 2.79)
        self.assertEqual((interest.date_from, interest.date_to), (date(2026, 6, 2), date(2026, 6, 14)))
        self.assertEqual(interest.line_id, invoice.collection_item_ids)
        fee_invoice = charges.move_id
        self.assertEqual(len(fee_invoice), 1, "one fee invoice per customer and currency")
        self.assertEqual(fee_invoice.state, "posted")
        self.assertEqual(fee_invoice.partner_id, self.customer)
        self.assertTrue(fee_invoice.collection_is_charge)
        self.assertAlmostEqual(fee_invoice.amount_total, 42.79)
        self.assertEqual(
            fee_invoice.invoice_line_ids.product_id,
            self.env.ref("account_collections.product_collection_charge"),
        )
        # Today's letter demands what it demanded before the charges (the fee invoice falls due
        # when the letter asks to be paid, here the next day); the next step demands it too.
        self.assertEqual(fee_invoice.invoice_date_due, date(2026, 6, 16))
        demand = self.customer._collection_demands(MONDAY)[self.customer.id]
        self.assertNotIn(fee_invoice.collection_item_ids.id, [item["id"] for item in demand.due])
        self.assertAlmostEqual(demand.net, 600.0)
        demand = self.customer._collection_demands(CLAIM_DAY)[self.customer.id]
        self.assertIn(fee_invoice.collection_item_ids.id, [item["id"] for item in demand.due])
        self.assertAlmostEqual(demand.net, 600.0 + 42.79)
        run = self.env["account.collection.run"].search([("company_id", "=", self.company.id)], limit=1)
        self.assertEqual(run.charge_count, 1)

    def test_interest_stops_on_a_payment_not_yet_matched(self):
        """The same debt as above, but the 400 received on 8 June is not matched with the
        invoice yet (booked on account). The demand deducts it, and so does the interest, from
        the day it was received: 2.79 again, not 1,000 x 10% x 13/365 = 3.56. When the payment
        is matched later, the days already charged are not charged again."""
        invoice = self._invoice(self.customer, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        credit = self._unmatched_credit(self.customer, 400.0, date(2026, 6, 8))
        self._run(MONDAY)
        interest = self._charges().filtered(lambda c: c.kind == "interest")
        self.assertAlmostEqual(interest.amount, 2.79)
        demand = self.customer._collection_demands(MONDAY)[self.customer.id]
        self.assertAlmostEqual(demand.net, 600.0)
        # Matched now: the claim on 19 June charges 15 to 18 June on the 600 left (0.66).
        (invoice | credit).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).reconcile()
        self._run(CLAIM_DAY)
        interest = self._charges().filtered(lambda c: c.kind == "interest") - interest
        self.assertEqual((interest.date_from, interest.date_to), (date(2026, 6, 15), date(2026, 6, 18)))
        self.assertAlmostEqual(interest.amount, 0.66)

    def test_a_credit_older_than_the_invoice_counts_from_the_invoices_date(self):
        """400 received on account on 25 April, before the invoice of 1,000 dated 2 May (due 1
        June): the credit settles the invoice, from the invoice's date, as nothing was owed
        before it. Owed: 600 from 2 May, in one step (not 1,000 from 2 May and then 600 from 25
        April, out of order). The demand of 15 June charges 2 to 14 June on 600: 600 x 10% x
        13/365 = 2.14 (1,000 x 10% x 13/365 = 3.56 without the credit)."""
        invoice = self._invoice(self.customer, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        self._unmatched_credit(self.customer, 400.0, date(2026, 4, 25))
        item = invoice.collection_item_ids
        demand = self.customer._collection_demands(MONDAY)[self.customer.id]
        self.assertEqual(
            [(due["id"], due["credited"]) for due in demand.due], [(item.id, [(date(2026, 4, 25), 400.0)])]
        )
        self.assertEqual(
            item._collection_owed_by_day([(date(2026, 4, 25), 400.0)]), [(date(2026, 5, 2), 600.0)]
        )
        self._run(MONDAY)
        interest = self._charges().filtered(lambda c: c.kind == "interest")
        self.assertEqual((interest.date_from, interest.date_to), (date(2026, 6, 2), date(2026, 6, 14)))
        self.assertAlmostEqual(interest.amount, 2.14)
        self.assertIn("(13 days at 10% on", interest.description)

    def test_a_credit_settles_the_oldest_item_first(self):
        """Two invoices of 1,000 due 1 and 4 June, 1,200 received on account on 10 June: the
        credit settles the first invoice (1,000 from 10 June) and 200 of the second. Interest
        to 14 June: first 1,000 x 10% x 8/365 = 2.19; second 1,000 x 5/365 + 800 x 5/365 =
        1.37 + 1.10 = 2.47."""
        first = self._invoice(self.customer, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        second = self._invoice(self.customer, 1000.0, date(2026, 6, 4), invoice_date=date(2026, 5, 6))
        self._unmatched_credit(self.customer, 1200.0, date(2026, 6, 10))
        demand = self.customer._collection_demands(MONDAY)[self.customer.id]
        self.assertEqual(
            [(item["id"], item["credited"]) for item in demand.due],
            [
                (first.collection_item_ids.id, [(date(2026, 6, 10), 1000.0)]),
                (second.collection_item_ids.id, [(date(2026, 6, 10), 200.0)]),
            ],
        )
        self._run(MONDAY)
        interest = self._charges().filtered(lambda c: c.kind == "interest")
        by_item = {charge.line_id.move_id: charge.amount for charge in interest}
        self.assertAlmostEqual(by_item[first], 2.19)
        self.assertAlmostEqual(by_item[second], 2.47)

    def test_a_fee_without_an_exchange_rate_is_not_guessed(self):
        """An invoice in a currency whose first rate comes after the run's day: the fee (stated
        in the company currency) cannot be converted. The customer is left uncharged that day
        and its chatter says why; the step itself is taken."""
        foreign = self.setup_other_currency("EUR", rates=[("2026-07-01", 2.0)])
        self._invoice(self.customer, 2000.0, DUE, invoice_date=date(2026, 5, 2), currency=foreign)
        self._run(MONDAY)
        self.assertFalse(self._charges())
        self.assertIn(
            "No exchange rate of EUR",
            self.customer.message_ids[:1].body,
        )
        self.assertTrue(
            self.env["account.collection.history"].search([("partner_id", "=", self.customer.id)]),
            "the demand step is taken without its charges",
        )

    def test_a_fee_invoice_that_cannot_be_posted_leaves_only_its_customer_uncharged(self):
        """The batch's fee invoices are posted together; when one of them cannot be posted (here
        the posting of the second customer's is refused, as a locked period or a missing account
        would), each customer is posted alone: the first is charged, the second is not and its
        chatter says why, and both steps are taken."""
        other = self.env["res.partner"].create({"name": "Locked Out Ltd", "is_company": True})
        self._invoice(self.customer, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        self._invoice(other, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        AccountMove = type(self.env["account.move"])
        post = AccountMove._post

        def refuse_other(moves, soft=True):
            if other in moves.partner_id:
                raise UserError("Period locked for this test")  # pylint: disable=translation-required
            return post(moves, soft)

        with patch.object(AccountMove, "_post", refuse_other):
            self._run(MONDAY)
        self.assertEqual(self._charges().move_id.state, "posted")
        self.assertFalse(self._charges(other))
        self.assertFalse(
            self.env["account.move"].search(
                [("partner_id", "=", other.id), ("collection_is_charge", "=", True)]
            ),
            "nothing of the refused fee invoice is left",
        )
        self.assertIn("Period locked for this test", other.message_ids[:1].body)
        History = self.env["account.collection.history"]
        self.assertTrue(History.search([("partner_id", "=", other.id)]), "its step is taken")

    def test_fee_invoice_falls_due_next_day_in_the_customers_language(self):
        """A customer on 30-day payment terms who reads Hungarian: the fee invoice still falls due
        the day after the step (the letter's date, not the terms'), and its lines read in
        Hungarian, amounts too (1.000,00). One day of interest reads in the singular."""
        self.env["res.lang"]._activate_lang("hu_HU")
        self.env["ir.module.module"]._load_module_terms(["account_collections"], ["hu_HU"], overwrite=True)
        self.customer.write(
            {
                "lang": "hu_HU",
                "property_payment_term_id": self.env.ref("account.account_payment_term_30days").id,
            }
        )
        invoice = self._invoice(self.customer, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        self._run(MONDAY)
        charges = self._charges()
        self.assertEqual(charges.move_id.invoice_date_due, date(2026, 6, 16))
        fee = charges.filtered(lambda c: c.kind == "item_fee")
        self.assertEqual(fee.description, f"Késedelmi díj: {invoice.name}")
        self.assertEqual(fee.fee_line_id.name, fee.description)
        interest = charges.filtered(lambda c: c.kind == "interest")
        self.assertIn("(13 nap 10% kamattal", interest.description)
        self.assertIn("1.000,00", interest.description)
        Charge = self.env["account.collection.charge"].with_context(lang="en_US")
        one_day = Charge._collection_interest_values(
            self.policy, self.demand, invoice.collection_item_ids, Charge, date(2026, 6, 3)
        )
        self.assertIn("(1 day at 10% on", one_day[0]["description"])
        # A rate with decimals reads with the customer's decimal separator.
        Charge = Charge.with_context(lang="hu_HU")
        one_day = Charge._collection_interest_values(
            self.policy.copy({"margin": 10.5}),
            self.demand,
            invoice.collection_item_ids,
            Charge,
            date(2026, 6, 3),
        )
        self.assertIn("(1 nap 10,5% kamattal", one_day[0]["description"])

    def test_interest_is_never_charged_twice(self):
        """A second run the same day charges nothing; the claim on 19 June charges interest from
        15 to 18 June only (1,000 x 10% x 4/365 = 1.10), and no second item fee (the fee is once
        per item and policy). The fee invoice itself bears no charges."""
        invoice = self._invoice(self.customer, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        self._run(MONDAY)
        first = self._charges()
        # 1,000 x 10% x 13/365 = 3.56
        self.assertAlmostEqual(first.filtered(lambda c: c.kind == "interest").amount, 3.56)
        self._run(MONDAY)
        self.assertEqual(self._charges(), first, "the same day: nothing more")
        claim_day = CLAIM_DAY
        self.assertEqual(invoice.collection_item_ids.collection_next_level_id, self.claim)
        self.assertEqual(invoice.collection_item_ids.collection_next_date, claim_day)
        self._run(claim_day)
        new = self._charges() - first
        self.assertEqual(new.mapped("kind"), ["interest"])
        self.assertEqual((new.date_from, new.date_to), (date(2026, 6, 15), date(2026, 6, 18)))
        self.assertAlmostEqual(new.amount, 1.10)
        self.assertFalse(new.line_id.move_id.collection_is_charge)

    def test_disputed_exempt_and_disabled_are_not_charged(self):
        disputed = self._invoice(self.customer, 500.0, DUE, invoice_date=date(2026, 5, 2))
        disputed.collection_disputed = True
        exempt = self.env["res.partner"].create(
            {"name": "Exempt Ltd", "is_company": True, "email": "ap@exempt.example.com"}
        )
        exempt.with_user(self.manager).collection_charges_exempt = True
        self._invoice(exempt, 500.0, DUE, invoice_date=date(2026, 5, 2))
        other = self.env["res.partner"].create(
            {"name": "Other Ltd", "is_company": True, "email": "o@o.example"}
        )
        self._invoice(other, 500.0, DUE, invoice_date=date(2026, 5, 2))
        self.company.sudo().collection_charges_enabled = False
        self._run(MONDAY)
        self.assertFalse(self._charges(other), "charges disabled: nothing")
        self.company.sudo().collection_charges_enabled = True
        self._invoice(other, 300.0, date(2026, 6, 8), invoice_date=date(2026, 5, 2))
        self._run(date(2026, 6, 16))
        self.assertFalse(self._charges(exempt))
        self.assertFalse(self._charges(self.customer), "a disputed item is not charged")
        self.assertTrue(self._charges(other))

    def test_two_currencies(self):
        """An invoice in a foreign currency at 2 units per company unit: its interest in its own
        currency (2,000 x 10% x 13/365 = 7.12) and the 40 fee converted (80.00), on a fee
        invoice in that currency."""
        foreign = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        invoice = self._invoice(self.customer, 2000.0, DUE, invoice_date=date(2026, 5, 2), currency=foreign)
        self._run(MONDAY)
        charges = self._charges()
        self.assertEqual(charges.currency_id, foreign)
        self.assertAlmostEqual(charges.filtered(lambda c: c.kind == "interest").amount, 7.12)
        self.assertAlmostEqual(charges.filtered(lambda c: c.kind == "item_fee").amount, 80.0)
        self.assertEqual(charges.move_id.currency_id, foreign)
        self.assertAlmostEqual(charges.move_id.amount_total, 87.12)
        self.assertEqual(charges.line_id, invoice.collection_item_ids)

    def test_fee_per_customer_once_per_step_and_day(self):
        """A reminder fee of 15 (company currency) per customer, nothing else. The first customer
        owes two invoices in a foreign currency at 2 units per company unit, both due 1 June;
        the second, who reads Hungarian, one in the company currency. The demand of 15 June is
        one step per customer: one fee each, in the currency of the items it is charged for
        (15 x 2 = 30.00, and 15.00), its line naming the level (in the customer's language), the
        day and the items. A second run that day charges nothing more; the claim of 19 June is
        another step: another fee."""
        self.env["res.lang"]._activate_lang("hu_HU")
        reminder = self.env["account.collection.charge.policy"].create(
            {"name": "Reminder fee", "fee_currency_id": self.currency.id, "fee_per_customer": 15.0}
        )
        (self.demand | self.claim).charge_policy_id = reminder
        self.demand.with_context(lang="hu_HU").name = "Felszólítás"
        foreign = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        first, second = (
            self._invoice(self.customer, amount, DUE, invoice_date=date(2026, 5, 2), currency=foreign)
            for amount in (1000.0, 500.0)
        )
        other = self.env["res.partner"].create(
            {"name": "Magyar Kft", "is_company": True, "email": "ap@magyar.example.com", "lang": "hu_HU"}
        )
        third = self._invoice(other, 800.0, DUE, invoice_date=date(2026, 5, 2))
        self._run(MONDAY)
        fee = self._charges()
        self.assertEqual((fee.kind, fee.level_id, fee.currency_id), ("fee", self.demand, foreign))
        self.assertAlmostEqual(fee.amount, 30.0)
        self.assertFalse(fee.line_id, "a fee per customer, on no item")
        self.assertEqual(fee.move_id.currency_id, foreign)
        self.assertAlmostEqual(fee.move_id.amount_total, 30.0)
        # Dates as the customer reads them (its language's format).
        prefix = f"Late-payment fee, Demand of {format_date(self.env, MONDAY)}: "
        self.assertTrue(fee.description.startswith(prefix), fee.description)
        self.assertEqual(
            sorted(fee.description.removeprefix(prefix).split(", ")), sorted([first.name, second.name])
        )
        self.assertEqual(fee.fee_line_id.name, fee.description)
        other_fee = self._charges(other)
        self.assertEqual((other_fee.kind, other_fee.currency_id), ("fee", self.currency))
        self.assertAlmostEqual(other_fee.amount, 15.0)
        for text in ("Felszólítás", format_date(self.env(context={"lang": "hu_HU"}), MONDAY), third.name):
            self.assertIn(text, other_fee.description)
        self.assertNotIn("Demand", other_fee.description)
        self._run(MONDAY)
        self.assertEqual(self._charges(), fee, "the same step, the same day: no second fee")
        # Even were the step taken again that day (a run started twice), its fee is not.
        Charge = self.env["account.collection.charge"]
        with freeze_time(MONDAY):
            moves = Charge._collection_charge(
                [(self.customer, self.demand, (first | second).collection_item_ids)],
                self.company,
                MONDAY,
                self.customer._collection_demands(MONDAY),
            )
        self.assertFalse(moves)
        self.assertEqual(self._charges(), fee)
        self._run(CLAIM_DAY)
        claim_fee = self._charges() - fee
        self.assertEqual((claim_fee.kind, claim_fee.level_id), ("fee", self.claim))
        self.assertAlmostEqual(claim_fee.amount, 30.0)
        self.assertTrue(
            claim_fee.description.startswith(
                f"Late-payment fee, Claim of {format_date(self.env, date(2026, 6, 19))}: "
            )
        )

    # ------------------------------------------------------------------
    # Waiving, and who may do what
    # ------------------------------------------------------------------
    def test_manager_waives_with_a_credit_note_and_a_reason(self):
        self._invoice(self.customer, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        self._run(MONDAY)
        charges = self._charges()
        interest = charges.filtered(lambda c: c.kind == "interest")
        fee_invoice = charges.move_id
        with self.assertRaisesRegex(AccessError, "managers"):
            interest.with_user(self.collector)._collection_waive("Goodwill")
        with self.assertRaisesRegex(UserError, "why"):
            interest.with_user(self.manager)._collection_waive("  ")
        wizard = (
            self.env["account.collection.charge.waive"]
            .with_user(self.manager)
            .with_context(active_model="account.collection.charge", active_ids=interest.ids)
            .create({"reason": "Goodwill: first delay"})
        )
        with freeze_time(MONDAY):
            action = wizard.action_waive()
        self.assertEqual(interest.state, "waived")
        self.assertEqual(
            action["params"]["message"],
            f"Charges waived: {interest.waive_move_id.name} posted and matched with the fee invoice.",
            "the manager is told",
        )
        self.assertEqual(interest.waived_by_id, self.manager)
        credit = interest.waive_move_id
        self.assertEqual((credit.move_type, credit.state), ("out_refund", "posted"))
        self.assertAlmostEqual(credit.amount_total, interest.amount)
        self.assertAlmostEqual(fee_invoice.amount_residual, 40.0, msg="only the fee is still owed")
        self.assertIn("Goodwill: first delay", self.customer.message_ids[0].body)
        with self.assertRaisesRegex(UserError, "already waived"):
            interest.with_user(self.manager)._collection_waive("again")
        # The waived period is not charged again by the next step.
        self._run(CLAIM_DAY)
        periods = self._charges().filtered(lambda c: c.kind == "interest").sorted("date_from")
        self.assertEqual([p.date_from for p in periods], [date(2026, 6, 2), date(2026, 6, 15)])

    def test_waiving_a_paid_fee_invoice_leaves_its_credit_note_open(self):
        """The customer paid the fee invoice of 15 June before the manager waives the charges
        of 15 and 19 June in one go: the credit note of the first cannot be matched (its fee
        invoice is paid), it stays open as the customer's credit; the second is matched with
        its fee invoice, still open. The manager is told which is which."""
        self._invoice(self.customer, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        self._run(MONDAY)
        paid = self._charges().move_id
        self._pay(paid, paid.amount_total, MONDAY)
        self._run(CLAIM_DAY)
        charges = self._charges()
        still_open = charges.move_id - paid
        self.assertEqual(len(still_open), 1)
        wizard = (
            self.env["account.collection.charge.waive"]
            .with_user(self.manager)
            .with_context(active_model="account.collection.charge", active_ids=charges.ids)
            .create({"reason": "Goodwill"})
        )
        with freeze_time(CLAIM_DAY):
            message = wizard.action_waive()["params"]["message"]
        self.assertEqual(set(charges.mapped("state")), {"waived"})
        open_credit = charges.filtered(lambda c: c.move_id == paid).waive_move_id
        matched_credit = charges.filtered(lambda c: c.move_id == still_open).waive_move_id
        self.assertAlmostEqual(open_credit.amount_residual, paid.amount_total, msg="left open")
        self.assertIn(paid.payment_state, ("paid", "in_payment"))
        self.assertEqual(still_open.payment_state, "reversed")
        self.assertFalse(matched_credit.amount_residual)
        self.assertEqual(
            message,
            f"Charges waived: {matched_credit.name} posted and matched with the fee invoice. "
            f"{open_credit.name} posted but not matched, as the fee invoice was already paid: the "
            "credit note stays open, a credit of the customer.",
        )

    def test_a_fee_invoice_is_undone_only_by_waiving_its_charges(self):
        """Resetting a fee invoice to draft, cancelling it, crediting it (Odoo's credit note
        wizard, or reversing it in code) or deleting it would leave its charges "charged" with no
        reason logged: refused to a collector (an Invoicing user) and to an accounting manager
        alike, and to server code, whatever the context. Waiving the charges still credits it;
        its credit note is as protected."""
        accountant = new_test_user(
            self.env,
            login="chief_accountant",
            groups="account.group_account_manager",
            company_id=self.company.id,
        )
        self._invoice(self.customer, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        self._run(MONDAY)
        charges = self._charges()
        fee_invoice = charges.move_id
        refused = "cannot be reset to draft, cancelled, deleted or reversed.*waives them"
        with freeze_time(MONDAY):
            for user in (self.collector, accountant):
                move = fee_invoice.with_user(user)
                with self.assertRaisesRegex(UserError, refused):
                    move.button_draft()
                with self.assertRaisesRegex(UserError, refused):
                    move.button_cancel()
                with self.assertRaisesRegex(UserError, refused):
                    move.unlink()
                reversal = (
                    self.env["account.move.reversal"]
                    .with_user(user)
                    .with_context(active_model="account.move", active_ids=fee_invoice.ids)
                    .create({"date": MONDAY, "reason": "Wrong", "journal_id": fee_invoice.journal_id.id})
                )
                with self.assertRaisesRegex(UserError, refused):
                    reversal.refund_moves()
                with self.assertRaisesRegex(UserError, refused):
                    reversal.modify_moves()
            with self.assertRaisesRegex(UserError, refused):
                fee_invoice.sudo()._reverse_moves(cancel=True)
            with self.assertRaisesRegex(UserError, refused):
                fee_invoice.sudo().with_context(force_delete=True).unlink()
        self.assertEqual(fee_invoice.state, "posted")
        self.assertFalse(fee_invoice.reversal_move_ids)
        self.assertEqual(set(charges.mapped("state")), {"charged"})
        with freeze_time(MONDAY):
            charges.with_user(self.manager)._collection_waive("Goodwill")
        self.assertEqual(set(charges.mapped("state")), {"waived"})
        self.assertEqual(fee_invoice.payment_state, "reversed")
        self.assertEqual(fee_invoice.reversal_move_ids, charges.waive_move_id)
        with self.assertRaisesRegex(UserError, refused):
            charges.waive_move_id.with_user(accountant).button_draft()

    def test_waiving_keeps_the_call_about_what_is_still_owed(self):
        """The demand's letter asks to be paid within 4 days: the fee invoice of 15 June falls due
        on 19 June, the day of the claim's call about the invoice, so that call covers both.
        Waiving the charges settles the fee invoice only: the call stays, the invoice is still
        owed."""
        invoice = self._invoice(self.customer, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        self.demand.payment_days = 4
        self._run(MONDAY)
        charges = self._charges()
        self.assertEqual(charges.move_id.invoice_date_due, CLAIM_DAY)
        self._run(CLAIM_DAY)
        steps = self.env["account.collection.history"].search(
            [("partner_id", "=", self.customer.id), ("date", "=", CLAIM_DAY)]
        )
        call = steps.activity_id
        self.assertEqual(len(call), 1)
        self.assertEqual(steps.line_ids, (charges.move_id | invoice).collection_item_ids)
        with freeze_time(CLAIM_DAY):
            charges.with_user(self.manager)._collection_waive("Goodwill")
        self.assertEqual(charges.move_id.payment_state, "reversed")
        self.assertTrue(call.active, "the call about the invoice still owed stays")
        self.assertIn(call, self.customer.activity_ids)

    def test_nobody_writes_charges_or_marks_fee_invoices(self):
        self._invoice(self.customer, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        self._run(MONDAY)
        charge = self._charges()[:1]
        for user in (self.collector, self.manager):
            with self.assertRaises(AccessError):
                charge.with_user(user).write({"amount": 0.0})
            with self.assertRaises(AccessError):
                charge.with_user(user).unlink()
        other = self._invoice(self.customer, 10.0, MONDAY, post=False)
        with self.assertRaisesRegex(AccessError, "collection run"):
            other.with_user(self.manager).write({"collection_is_charge": True})
        with self.assertRaisesRegex(UserError, "Only collections managers"):
            self.customer.with_user(self.collector).collection_charges_exempt = True

    def test_presets_charge_nothing_until_enabled(self):
        presets = self.env["account.collection.charge.policy"].search(
            [
                (
                    "id",
                    "in",
                    [
                        self.env.ref(f"account_collections.charge_policy_{code}").id
                        for code in ("eu", "hu", "ru")
                    ],
                )
            ]
        )
        self.assertEqual(len(presets), 3)
        self.assertFalse(
            self.env["account.collection.ladder.level"].search([("charge_policy_id", "in", presets.ids)]),
            "no level charges a preset out of the box",
        )
        self.assertFalse(self.env["res.company"].create({"name": "New Co"}).sudo().collection_charges_enabled)
        self.assertTrue(all(preset.note for preset in presets), "each preset says where it comes from")
        self.assertEqual(
            self.env.ref("account_collections.charge_policy_eu").fee_per_item,
            40.0,
            "Directive 2011/7/EU art. 6",
        )
        self.assertFalse(self.env.ref("account_collections.product_collection_charge").taxes_id)

    def test_a_fee_invoice_has_no_delivery_call(self):
        """The steps counted from an invoice's date (a delivery and agreement call) are not a fee
        invoice's: nothing was delivered. Its due-date steps are."""
        delivery = self.env["account.collection.ladder.level"].create(
            {
                "ladder_id": self.ladder.id,
                "sequence": 0,
                "name": "Delivery call",
                "reference": "invoice_date",
                "offset_days": 1,
                "action_call": True,
            }
        )
        self._invoice(self.customer, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        self._run(MONDAY)
        fee_item = self._charges().move_id.collection_item_ids
        goods = self._invoice(self.customer, 300.0, date(2026, 7, 15), invoice_date=MONDAY)
        # Both meet the ladder at the next run: their first step is scheduled.
        with freeze_time(MONDAY):
            self.env["account.move.line"]._collection_adopt_open_items(self.company)
        self.assertEqual(
            goods.collection_item_ids.collection_next_level_id, delivery, "an invoice: delivery call"
        )
        self.assertEqual(
            fee_item.collection_next_level_id, self.levels[0], "a fee invoice: its due-date steps"
        )
        self._run(date(2026, 6, 16))
        self.assertEqual(goods.collection_item_ids.collection_level_id, delivery)
        steps = self.env["account.collection.history"].search([("line_ids", "in", fee_item.ids)])
        self.assertNotIn(delivery, steps.level_id)

    def test_presets_are_copied_not_changed(self):
        """The shipped presets serve every company: a manager cannot change them for the others,
        and adapts a copy, which belongs to the manager's company."""
        eu = self.env.ref("account_collections.charge_policy_eu")
        with self.assertRaises(AccessError):
            eu.with_user(self.manager).margin = 1.0
        with self.assertRaises(AccessError):
            eu.rate_ids[:1].with_user(self.manager).rate = 99.0
        mine = eu.with_user(self.manager).copy()
        self.assertEqual(mine.company_id, self.company)
        mine.margin = 7.0
        self.assertEqual(sorted(mine.rate_ids.mapped("rate")), sorted(eu.rate_ids.mapped("rate")))
        mine.rate_ids[:1].rate = 5.0
        self.assertEqual(eu.margin, 8.0)

    def test_enabling_charges_bills_no_old_days(self):
        """Charges turned on on 10 June (a debt due 1 June): interest from 10 June only, 1,000 x
        10% x 5/365 = 1.37 on 15 June, not the 13 days since the due date."""
        self.company.sudo().write({"collection_charges_enabled": False, "collection_charges_since": False})
        with freeze_time(date(2026, 6, 10)):
            self.company.sudo().collection_charges_enabled = True
        self.assertEqual(self.company.sudo().collection_charges_since, date(2026, 6, 10))
        self._invoice(self.customer, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        self._run(MONDAY)
        interest = self._charges().filtered(lambda c: c.kind == "interest")
        self.assertEqual((interest.date_from, interest.date_to), (date(2026, 6, 10), date(2026, 6, 14)))
        self.assertAlmostEqual(interest.amount, 1.37)

    def test_the_customer_sees_its_fee_invoice_on_the_portal(self):
        """The fee invoice is a posted customer invoice: the customer's portal user finds it among
        its invoices (Odoo's *My Invoices*), as it finds its other invoices."""
        portal = new_test_user(
            self.env, login="debtor_portal", groups="base.group_portal", partner_id=self.customer.id
        )
        self._invoice(self.customer, 1000.0, DUE, invoice_date=date(2026, 5, 2))
        self._run(MONDAY)
        fee_invoice = self._charges().move_id
        domain = [
            ("state", "not in", ("cancel", "draft")),
            ("move_type", "in", ("out_invoice", "out_refund")),
        ]
        self.assertIn(fee_invoice, self.env["account.move"].with_user(portal).search(domain))
        self.assertEqual(fee_invoice.with_user(portal).amount_total, fee_invoice.amount_total)
        # The collection page lists it with the rest: coming due on the day of the step, then
        # overdue and demanded from the day after.
        for day, key in ((MONDAY, "not_due"), (CLAIM_DAY, "lines")):
            with freeze_time(day):
                [section] = self.customer._collection_portal_values()["sections"]
            self.assertIn(fee_invoice.name, [line["name"] for line in section["letter"][key]])
