"""Late-payment charges: the fees and interest a ladder level charges, posted as fee invoices.

A level names a charge policy (fixed fee per customer, fee per overdue item, interest on the
overdue items). When the daily run carries out the level for a customer, the charges are
computed, posted on one fee invoice per customer and currency, and recorded per item and
period, so that interest for a day is never charged twice. Nothing is charged unless a
manager enables charges for the company and links a policy to a level.
"""

import calendar
import logging
from datetime import timedelta
from itertools import pairwise

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date

from ..const import MANAGER
from ..grant import POST_ON_HOLD, UNDO_CHARGE, grant

_logger = logging.getLogger(__name__)


def _credited(item):
    """The unmatched credits that settle a demand's due item, [(date, amount)], in the item's
    own currency (the demand may count in the company currency)."""
    if not item["value"]:
        return []
    return [(day, used * item["amount"] / item["value"]) for day, used in item.get("credited", ())]


class AccountCollectionChargePolicy(models.Model):
    """What a level charges: fees and interest, with the rate table interest follows."""

    _name = "account.collection.charge.policy"
    _description = "Late-Payment Charge Policy"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        default=lambda self: self.env.company,
        help="Empty (the shipped presets): available to every company, changed by none.",
    )
    fee_currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
        help="Currency the fees are stated in; converted at the day's rate for items in another currency.",
    )
    fee_per_customer = fields.Monetary(
        string="Fee per Customer",
        currency_field="fee_currency_id",
        help="Charged each time the level's step demands overdue items of a customer (a reminder fee).",
    )
    fee_per_item = fields.Monetary(
        string="Fee per Overdue Item",
        currency_field="fee_currency_id",
        help="Charged once per overdue item (the EU directive's fixed compensation), whichever "
        "levels of the ladder use this policy.",
    )
    interest = fields.Boolean(string="Charge Interest")
    margin = fields.Float(
        string="Margin (points)",
        digits=(16, 4),
        help="Added to the base rate of the table: the annual rate is the base rate plus this.",
    )
    day_count = fields.Selection(
        [
            ("act_365", "Actual/365"),
            ("act_360", "Actual/360"),
            ("act_act", "Actual/Actual (366 in leap years)"),
        ],
        required=True,
        default="act_365",
        help="How a day's interest is counted: the annual rate divided by 365, by 360, or by the "
        "number of days of the day's year.",
    )
    grace_days = fields.Integer(
        string="Grace (days)", help="Calendar days after the due date before interest starts."
    )
    rate_ids = fields.One2many("account.collection.charge.rate", "policy_id", string="Base Rates", copy=True)
    note = fields.Html(
        translate=True, help="Where the rule comes from, and how to keep its rates up to date."
    )

    @api.constrains("fee_per_customer", "fee_per_item", "margin", "grace_days")
    def _check_amounts(self):
        for policy in self:
            if min(policy.fee_per_customer, policy.fee_per_item, policy.grace_days) < 0:
                raise ValidationError(self.env._("Fees and grace days cannot be negative."))

    def copy_data(self, default=None):
        # A shared preset is copied into the user's company, where it can be adapted.
        vals_list = super().copy_data(default)
        for policy, vals in zip(self, vals_list, strict=True):
            if not policy.company_id and not (default or {}).get("company_id"):
                vals["company_id"] = self.env.company.id
        return vals_list

    def _rate_on(self, day):
        """The annual rate, in percent, on `day`: the base rate in force, plus the margin."""
        self.ensure_one()
        base = 0.0
        for rate in self.rate_ids.sorted("date_from"):
            if rate.date_from > day:
                break
            base = rate.rate
        return base + self.margin

    def _year_days(self, day):
        if self.day_count == "act_360":
            return 360
        if self.day_count == "act_act":
            return 366 if calendar.isleap(day.year) else 365
        return 365

    def _interest(self, changes, start, stop):
        """Interest from `start` to `stop` (both included) on an amount that changes:
        `changes` is [(date, amount owed from that date on)], sorted.

        Returns [(first day, last day, amount owed, annual rate, days, interest)]: one period per
        stretch where the amount, the rate and (Actual/Actual) the year stay the same.
        """
        self.ensure_one()
        cuts = {start, stop + timedelta(days=1)}
        cuts |= {day for day, _amount in changes if start < day <= stop}
        cuts |= {rate.date_from for rate in self.rate_ids if start < rate.date_from <= stop}
        if self.day_count == "act_act":
            cuts |= {
                start.replace(year=year, month=1, day=1) for year in range(start.year + 1, stop.year + 1)
            }
        periods = []
        for first, after in pairwise(sorted(cuts)):
            owed = 0.0
            for day, amount in changes:
                if day > first:
                    break
                owed = amount
            if owed <= 0:
                continue
            rate, days = self._rate_on(first), (after - first).days
            periods.append(
                (
                    first,
                    after - timedelta(days=1),
                    owed,
                    rate,
                    days,
                    owed * rate / 100 * days / self._year_days(first),
                )
            )
        return periods


class AccountCollectionChargeRate(models.Model):
    """A base rate in force from a date (a central bank's rate, or a contract's fixed rate)."""

    _name = "account.collection.charge.rate"
    _description = "Late-Payment Base Rate"
    _order = "date_from desc"

    policy_id = fields.Many2one(
        "account.collection.charge.policy", required=True, index=True, ondelete="cascade"
    )
    date_from = fields.Date(string="From", required=True)
    rate = fields.Float(string="Annual Rate (%)", digits=(16, 4), required=True)

    _policy_date_unique = models.Constraint(
        "UNIQUE(policy_id, date_from)", "A policy has one base rate per date."
    )


class AccountCollectionCharge(models.Model):
    """One charge posted to a customer: a fee, or the interest of one item for one period.

    Charges are created by the daily run and waived by a manager, never written otherwise:
    the access rules give every role read access only.
    """

    _name = "account.collection.charge"
    _description = "Late-Payment Charge"
    _order = "date desc, id desc"
    _rec_name = "description"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    level_id = fields.Many2one("account.collection.ladder.level", required=True, ondelete="restrict")
    policy_id = fields.Many2one("account.collection.charge.policy", required=True, ondelete="restrict")
    line_id = fields.Many2one(
        "account.move.line",
        string="Overdue Item",
        index=True,
        ondelete="set null",
        help="Empty: a fee per customer.",
    )
    kind = fields.Selection(
        [("fee", "Fee per customer"), ("item_fee", "Fee per item"), ("interest", "Interest")], required=True
    )
    date = fields.Date(required=True, help="Day the charge was posted.")
    date_from = fields.Date(string="Interest From")
    date_to = fields.Date(string="Interest To")
    description = fields.Char(required=True)
    currency_id = fields.Many2one("res.currency", required=True)
    amount = fields.Monetary(required=True)
    move_id = fields.Many2one(
        "account.move", string="Fee Invoice", required=True, index=True, ondelete="restrict"
    )
    fee_line_id = fields.Many2one("account.move.line", string="Fee Invoice Line", ondelete="set null")
    state = fields.Selection([("charged", "Charged"), ("waived", "Waived")], required=True, default="charged")
    waive_reason = fields.Text(readonly=True)
    waive_move_id = fields.Many2one("account.move", string="Credit Note", readonly=True)
    waived_by_id = fields.Many2one("res.users", readonly=True)

    _interest_period_unique = models.Constraint(
        "UNIQUE(line_id, kind, date_from)", "Interest of an item is charged once per period."
    )

    # ------------------------------------------------------------------
    # Charging, from the daily run
    # ------------------------------------------------------------------
    @api.model
    def _collection_charge(self, steps, company, today, demands):
        """Charge the steps [(partner, level, lines)] the run took today; returns the fee invoices.

        Only items the customer is asked to pay are charged (overdue, neither disputed nor
        promised: the demand's ``due`` items); items of fee invoices bear no charges.
        """
        company = company.sudo()
        if not company.collection_charges_enabled:
            return self.env["account.move"]
        by_partner = {}
        for partner, level, lines in steps:
            policy = level.sudo().charge_policy_id
            if not policy.active or partner.collection_charges_exempt:
                continue
            demanded = {item["id"]: item for item in demands[partner.id].due}
            items = lines.filtered(
                lambda line, ids=demanded: line.id in ids and not line.move_id.collection_is_charge
            )
            # Nothing demanded on this step (not due yet, disputed, promised): nothing charged,
            # not even the fee per customer.
            if items:
                by_partner.setdefault(partner, []).append((level, policy, items, demanded))
        if not by_partner:
            return self.env["account.move"]
        # What was charged before, for all the batch's customers in one query. Waived charges
        # count too: a waived period or fee is not charged again.
        charged = (
            self.sudo()
            .search(
                [
                    ("partner_id", "in", [partner.id for partner in by_partner]),
                    ("company_id", "=", company.id),
                ]
            )
            .grouped("partner_id")
        )
        invoices = []  # (partner, currency, [charge values]): one fee invoice each
        rates = {}  # currency: whether it has a rate on or before today
        for partner, levels in by_partner.items():
            done = charged.get(partner, self.sudo().browse())
            # The fee invoice's lines speak the customer's language, as its letters do.
            customer = self.with_context(lang=partner.lang or self.env.lang)
            try:
                invoices += customer._collection_charge_customer(partner, levels, done, company, today, rates)
            except (UserError, ValidationError) as error:
                self._collection_not_charged(partner, error)
        if not invoices:
            return self.env["account.move"]
        try:
            # The batch's fee invoices are created and posted together (an invoice at a time
            # costs about 60 queries).
            with self.env.cr.savepoint():
                return self._collection_post(invoices, company, today)
        except (UserError, ValidationError) as error:
            _logger.info("Fee invoices of the batch posted one by one: %s", error)
        # One of them cannot be posted (no income account on the product in this company, a
        # locked period): each customer is posted alone, and the one that fails is left
        # uncharged today, and told; the steps of the day and the other customers go on.
        moves = self.env["account.move"]
        for invoice in invoices:
            try:
                with self.env.cr.savepoint():
                    moves |= self._collection_post([invoice], company, today)
            except (UserError, ValidationError) as error:
                self._collection_not_charged(invoice[0], error)
        return moves

    @api.model
    def _collection_not_charged(self, partner, error):
        _logger.warning("Late-payment charges of %s not posted: %s", partner.display_name, error)
        # Said where the collector and the manager look: the customer's chatter.
        partner.sudo().message_post(
            body=self.env._("Late-payment charges not posted today: %(error)s", error=error),
            subtype_xmlid="mail.mt_note",
        )

    @api.model
    def _collection_charge_customer(self, partner, levels, done, company, today, rates):
        by_currency = {}  # currency: [charge values]
        for level, policy, items, demanded in levels:
            if policy.fee_per_customer and not done.filtered(
                lambda c, lv=level: c.kind == "fee" and c.level_id == lv and c.date == today
            ):
                currency = items[:1].currency_id or company.currency_id
                # Named as the other lines are: what it is charged for, and when (the step's
                # items, once each however many instalments they have).
                description = self.env._(
                    "Late-payment fee, %(level)s of %(day)s: %(items)s",
                    level=level.with_env(self.env).name,
                    day=format_date(self.env, today),
                    items=", ".join(dict.fromkeys(items.mapped("move_name"))),
                )
                by_currency.setdefault(currency, []).append(
                    self._collection_fee_values(
                        policy, policy.fee_per_customer, currency, company, today, rates
                    )
                    | {"kind": "fee", "level_id": level.id, "description": description}
                )
            for item in items:
                currency = item.currency_id
                if policy.fee_per_item and not done.filtered(
                    lambda c, it=item, pol=policy: c.kind == "item_fee"
                    and c.line_id == it
                    and c.policy_id == pol
                ):
                    by_currency.setdefault(currency, []).append(
                        self._collection_fee_values(
                            policy, policy.fee_per_item, currency, company, today, rates
                        )
                        | {
                            "kind": "item_fee",
                            "level_id": level.id,
                            "line_id": item.id,
                            "description": self.env._("Late-payment fee: %(item)s", item=item.move_name),
                        }
                    )
                if policy.interest:
                    by_currency.setdefault(currency, []).extend(
                        self._collection_interest_values(
                            policy, level, item, done, today, _credited(demanded[item.id])
                        )
                    )
        invoices = []
        for currency, vals_list in by_currency.items():
            vals_list = [vals for vals in vals_list if not currency.is_zero(vals["amount"])]
            if vals_list:
                invoices.append((partner, currency, vals_list))
        return invoices

    @api.model
    def _collection_fee_values(self, policy, amount, currency, company, today, rates):
        # Odoo converts with the first rate ever known, or 1, when a currency has no rate on or
        # before the day: a fee converted so would be a guess. The customer is left uncharged.
        for unknown in (policy.fee_currency_id | currency) - company.currency_id:
            if unknown not in rates:
                # Looked up once per currency for the batch (`rates`), not once per fee.
                rates[unknown] = bool(
                    self.env["res.currency.rate"]
                    .sudo()
                    .search_count(
                        [
                            ("currency_id", "=", unknown.id),
                            ("name", "<=", today),
                            ("company_id", "in", (False, company.root_id.id)),
                        ],
                        limit=1,
                    )
                )
            if not rates[unknown]:
                raise UserError(
                    self.env._(
                        "No exchange rate of %(currency)s on or before %(day)s: the fee of "
                        "%(policy)s cannot be converted.",
                        currency=unknown.name,
                        day=format_date(self.env, today),
                        policy=policy.name,
                    )
                )
        return {
            "policy_id": policy.id,
            "currency_id": currency.id,
            "amount": policy.fee_currency_id._convert(amount, currency, company, today),
        }

    @api.model
    def _collection_interest_values(self, policy, level, item, done, today, credited=()):
        """Interest of `item` from the day after the last period charged (or from the first
        day past the grace period) to yesterday, on what was owed each day: its payments, and
        the unmatched credits that settle it (`credited`, [(date, amount)]), count from their
        dates."""
        start = (item.date_maturity or item.date) + timedelta(days=policy.grace_days + 1)
        since = item.company_id.sudo().collection_charges_since
        if since:
            start = max(start, since)
        charged = done.filtered(lambda c: c.kind == "interest" and c.line_id == item)
        if charged:
            start = max(start, max(charged.mapped("date_to")) + timedelta(days=1))
        stop = today - timedelta(days=1)
        if start > stop:
            return []
        periods = policy._interest(item._collection_owed_by_day(credited), start, stop)
        if not periods:
            return []
        # Amounts formatted in the context's language (the customer's), not the item's.
        currency = item.currency_id.with_env(self.env)
        amount = currency.round(sum(period[5] for period in periods))
        # The rate as the customer reads numbers (10,15 % in Hungarian), without trailing zeros.
        point = self.env["res.lang"]._get_data(code=self.env.lang or "en_US").decimal_point or "."
        rates = ", ".join(
            self.env._(
                "1 day at %(rate)s%% on %(owed)s",
                rate=f"{rate:g}".replace(".", point),
                owed=currency.format(owed),
            )
            if days == 1
            else self.env._(
                "%(days)s days at %(rate)s%% on %(owed)s",
                days=days,
                rate=f"{rate:g}".replace(".", point),
                owed=currency.format(owed),
            )
            for _first, _last, owed, rate, days, _interest in periods
        )
        return [
            {
                "kind": "interest",
                "policy_id": policy.id,
                "level_id": level.id,
                "line_id": item.id,
                "currency_id": currency.id,
                "amount": amount,
                "date_from": periods[0][0],
                "date_to": stop,
                "description": self.env._(
                    "Late-payment interest on %(item)s, %(start)s to %(stop)s (%(rates)s)",
                    item=item.move_name,
                    start=format_date(self.env, periods[0][0]),
                    stop=format_date(self.env, stop),
                    rates=rates,
                ),
            }
        ]

    @api.model
    def _collection_post(self, invoices, company, today):
        """Post a fee invoice per (customer, currency, [charge values]), a line per charge, and
        record the charges; returns the fee invoices.

        A fee invoice falls due when the step's letter asks to be paid (at the earliest the
        next day): today's e-mail, letter and call note demand the same amount, and the next
        step demands the charges with the rest."""
        levels = self.env["account.collection.ladder.level"].sudo()
        product = company.collection_charge_product_id or self.env.ref(
            "account_collections.product_collection_charge", raise_if_not_found=False
        )
        journal = company.collection_charge_journal_id or self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "sale")], limit=1
        )
        if not product or not journal:
            raise UserError(
                self.env._(
                    "Late-payment charges need a product and a sales journal: "
                    "set them in the Collections settings."
                )
            )
        move_vals = []
        for partner, currency, vals_list in invoices:
            days = max(levels.browse({vals["level_id"] for vals in vals_list}).mapped("payment_days"))
            move_vals.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "journal_id": journal.id,
                    "currency_id": currency.id,
                    "invoice_date": today,
                    # Not the customer's payment terms: the date the step's letter asks for.
                    "invoice_payment_term_id": False,
                    "invoice_date_due": today + timedelta(days=max(days, 1)),
                    "collection_is_charge": True,
                    # In the customer's language, as the lines are.
                    "ref": self.with_context(lang=partner.lang or self.env.lang).env._(
                        "Late-payment charges"
                    ),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "name": vals["description"],
                                "quantity": 1,
                                "price_unit": vals["amount"],
                            }
                        )
                        for vals in vals_list
                    ],
                }
            )
        moves = self.env["account.move"].sudo().with_company(company).create(move_vals)
        # A customer on credit hold still owes the charges: the hold stops new sales, not this.
        with grant(self.env, POST_ON_HOLD, moves.ids):
            moves.action_post()
        self.sudo().create(
            [
                vals
                | {
                    "company_id": company.id,
                    "partner_id": partner.id,
                    "date": today,
                    "move_id": move.id,
                    "fee_line_id": line.id,
                }
                for (partner, _currency, vals_list), move in zip(invoices, moves, strict=True)
                for vals, line in zip(vals_list, move.invoice_line_ids.sorted("sequence"), strict=True)
            ]
        )
        return moves

    # ------------------------------------------------------------------
    # Waiving
    # ------------------------------------------------------------------
    def _collection_waive(self, reason):
        """A manager waives these charges: a credit note per fee invoice, matched with it unless
        the fee invoice is already paid, and the reason logged on the customer and the invoice.
        Returns the credit notes."""
        if not self.env.user.has_group(MANAGER):
            raise AccessError(self.env._("Only collections managers can waive late-payment charges."))
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the charges are waived."))
        if self.filtered(lambda c: c.state != "charged"):
            raise UserError(self.env._("These charges are already waived."))
        self.check_access("read")
        credits = self.env["account.move"]
        for move, charges in self.sudo().grouped("move_id").items():
            credits |= charges._collection_credit(move, reason)
        return credits

    def _collection_credit(self, move, reason):
        # Nobody else may credit a fee invoice (account.move's _collection_check_charge_undo):
        # the waiver may, as it logs why.
        with grant(self.env, UNDO_CHARGE, move.ids):
            credit = (
                self.env["account.move"]
                .sudo()
                .with_company(move.company_id)
                .create(
                    {
                        "move_type": "out_refund",
                        "partner_id": move.partner_id.id,
                        "company_id": move.company_id.id,
                        "journal_id": move.journal_id.id,
                        "currency_id": move.currency_id.id,
                        "invoice_date": fields.Date.context_today(self),
                        "reversed_entry_id": move.id,
                        "collection_is_charge": True,
                        # The reason is the company's: the customer's credit note does not print it.
                        "ref": self.env._("Late-payment charges waived"),
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "product_id": charge.fee_line_id.product_id.id,
                                    "name": charge.description,
                                    "quantity": 1,
                                    "price_unit": charge.amount,
                                    "tax_ids": [Command.set(charge.fee_line_id.tax_ids.ids)],
                                }
                            )
                            for charge in self
                        ],
                    }
                )
            )
        with grant(self.env, POST_ON_HOLD, credit.ids):
            credit.action_post()
        receivable = (move | credit).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )
        if len(receivable.move_id) == 2:
            receivable.reconcile()
        self.write(
            {
                "state": "waived",
                "waive_reason": reason,
                "waive_move_id": credit.id,
                "waived_by_id": self.env.user.id,
            }
        )
        note = self.env._(
            "Late-payment charges waived (%(amount)s) by %(user)s: %(reason)s",
            amount=move.currency_id.format(sum(self.mapped("amount"))),
            user=self.env.user.name,
            reason=reason,
        )
        move.message_post(body=note)
        move.partner_id.commercial_partner_id.message_post(body=note)
        return credit


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _collection_owed_by_day(self, credited=()):
        """[(date, amount owed from that date on)] of this receivable item, in its currency:
        its amount from its date, less each payment matched with it from the payment's date,
        less the unmatched credits that settle it (`credited`, [(date, amount)]) from theirs."""
        self.ensure_one()
        deductions = [
            (partial.max_date, partial.debit_amount_currency) for partial in self.matched_credit_ids
        ]
        # A credit older than the item settles it from the item's date, not before it existed:
        # the amounts stay in date order, as _interest reads them.
        deductions += [(max(day, self.date), amount) for day, amount in credited]
        changes, owed = [(self.date, self.amount_currency)], self.amount_currency
        for day, amount in sorted(deductions):
            owed -= amount
            if changes[-1][0] == day:
                changes[-1] = (day, owed)
            else:
                changes.append((day, owed))
        return changes
