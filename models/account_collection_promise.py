from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date

from ..const import CALL_TYPE, MANAGER, TODO_TYPE

# Set by the evaluation against payments (or a manager's cancellation), never by a client.
DECIDED_FIELDS = {"paid_amount", "state_date", "cancel_reason"}
# What was agreed, and what became of it: changed only by the model's own actions.
TERMS_FIELDS = {
    "state",
    *DECIDED_FIELDS,
    "partner_id",
    "company_id",
    "move_ids",
    "currency_id",
    "amount",
    "date",
    "date_start",
    "instalment",
    "instalment_count",
    "call_id",
}


class AccountCollectionPromise(models.Model):
    """A promise to pay: an amount by a date for given invoices, checked against real payments."""

    _name = "account.collection.promise"
    _description = "Promise to Pay"
    _inherit = ["mail.thread"]
    _order = "date, id"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    move_ids = fields.Many2many(
        "account.move",
        "account_collection_promise_move_rel",
        "promise_id",
        "move_id",
        string="Invoices",
        required=True,
        check_company=True,
    )
    currency_id = fields.Many2one("res.currency", required=True)
    amount = fields.Monetary(required=True, tracking=True)
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    # The managers' figures add promises of every currency up in the company's: each at the
    # rate of the day it was agreed, so that a later rate does not change what was promised.
    amount_company = fields.Monetary(
        string="Amount in Company Currency",
        currency_field="company_currency_id",
        compute="_compute_amount_company",
        store=True,
        help="The promised amount at the exchange rate of the day the promise was agreed.",
    )
    date = fields.Date(string="Promised Date", required=True, index=True, tracking=True)
    date_start = fields.Date(
        string="Agreed On",
        required=True,
        default=fields.Date.context_today,
        help="Payments from this day on count towards the promise.",
    )
    source = fields.Selection(
        [
            ("call", "Call"),
            ("email", "E-mail"),
            ("letter", "Letter"),
            ("meeting", "Meeting"),
            ("portal", "Portal"),
        ],
        required=True,
        default="call",
    )
    call_id = fields.Many2one("account.collection.call", index="btree_not_null", ondelete="set null")
    user_id = fields.Many2one(
        "res.users", string="Collector", default=lambda self: self.env.user, tracking=True
    )
    instalment = fields.Integer(default=1, help="Position of this promise in its payment plan.")
    instalment_count = fields.Integer(default=1)
    state = fields.Selection(
        [
            ("open", "Open"),
            ("kept", "Kept"),
            ("partial", "Partially Kept"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        default="open",
        required=True,
        index=True,
        tracking=True,
        readonly=True,
    )
    paid_amount = fields.Monetary(readonly=True, help="Payments on the invoices attributed to this promise.")
    state_date = fields.Date(string="Decided On", readonly=True)
    cancel_reason = fields.Text(readonly=True)

    _amount_positive = models.Constraint("CHECK(amount > 0)", "A promise is for a positive amount.")

    @api.depends("partner_id", "amount", "date", "instalment", "instalment_count")
    def _compute_name(self):
        for promise in self:
            promise.name = self.env._(
                "%(partner)s: %(amount)s by %(date)s",
                partner=promise.partner_id.name or "",
                amount=promise.currency_id.format(promise.amount) if promise.currency_id else promise.amount,
                date=promise.date or "",
            )

    @api.depends("amount", "currency_id", "company_id", "date_start")
    def _compute_amount_company(self):
        # One rate per currency, company and day, not one lookup per promise.
        for (currency, company, day), promises in self.grouped(
            lambda p: (p.currency_id, p.company_id, p.date_start)
        ).items():
            if not currency or not company:
                promises.amount_company = 0.0
                continue
            target = company.currency_id
            rate = currency._get_conversion_rate(currency, target, company, day)
            for promise in promises:
                promise.amount_company = target.round(promise.amount * rate)

    @api.constrains("move_ids", "partner_id", "currency_id", "company_id")
    def _check_moves(self):
        for promise in self:
            moves = promise.move_ids
            if not moves:
                raise ValidationError(self.env._("A promise covers at least one invoice."))
            if moves.filtered(lambda m: m.move_type != "out_invoice" or m.state != "posted"):
                raise ValidationError(
                    self.env._("A promise covers posted customer invoices only, not credit notes.")
                )
            if moves.commercial_partner_id != promise.partner_id.commercial_partner_id:
                raise ValidationError(self.env._("All invoices of a promise belong to its customer."))
            if moves.company_id != promise.company_id:
                raise ValidationError(self.env._("All invoices of a promise belong to its company."))
            if moves.currency_id != promise.currency_id:
                raise ValidationError(self.env._("A promise is in the currency of its invoices."))

    # ------------------------------------------------------------------
    # CRUD: the rules of the call wizard hold for every path
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                decided = DECIDED_FIELDS & {name for name, value in vals.items() if value}
                if vals.get("state", "open") != "open" or decided:
                    raise ValidationError(
                        self.env._("A promise is recorded open; its state follows the payments.")
                    )
                start = vals.get("date_start")
                if start and fields.Date.to_date(start) != fields.Date.context_today(self):
                    raise ValidationError(self.env._("A promise is recorded on the day it is agreed."))
        promises = super().create(vals_list)
        if not self.env.su:
            # Instalments of one plan are checked together against the open amount.
            for plan in promises.grouped(lambda p: (p.call_id, p.move_ids)).values():
                self._collection_check_terms(
                    plan.move_ids.sudo(), [(promise.amount, promise.date) for promise in plan]
                )
        return promises

    def write(self, vals):
        protected = TERMS_FIELDS & set(vals)
        if protected and not self.env.su:
            raise UserError(
                self.env._(
                    "A promise's terms and state cannot be changed (%(fields)s): a manager cancels "
                    "it with a reason, and the collector records the new promise.",
                    fields=", ".join(sorted(self._fields[name].string for name in protected)),
                )
            )
        return super().write(vals)

    @api.model
    def _collection_check_terms(self, moves, lines, total=None):
        """Validate instalments [(amount, date)] for `moves`; raise a clear error.

        The one definition of an acceptable promise, for the call wizard and for every
        promise created by any other path: open customer invoices of one currency, positive
        amounts, dates from today to the company's horizon, no more than the open amount.
        Returns the currency of the invoices.
        """
        today = fields.Date.context_today(self)
        if not moves:
            raise ValidationError(self.env._("Choose the invoices the promise is for."))
        if not lines:
            raise ValidationError(self.env._("A promise needs an amount and a date."))
        if len(moves.currency_id) > 1:
            raise ValidationError(
                self.env._("A promise covers invoices of one currency; record one per currency.")
            )
        currency = moves.currency_id
        if moves.filtered(lambda m: not m._collection_is_open()):
            raise ValidationError(self.env._("A promise covers open invoices only."))
        horizon = moves[:1].company_id.sudo().collection_promise_horizon
        for amount, day in lines:
            if currency.compare_amounts(amount or 0.0, 0) <= 0:
                raise ValidationError(self.env._("A promised amount must be greater than zero."))
            if not day or day < today:
                raise ValidationError(self.env._("A promised date cannot be in the past."))
            if day > today + timedelta(days=horizon):
                raise ValidationError(
                    self.env._(
                        "A promised date can be at most %(days)s days ahead (%(limit)s).",
                        days=horizon,
                        limit=format_date(self.env, today + timedelta(days=horizon)),
                    )
                )
        promised = sum(amount for amount, _ in lines)
        if total is not None and currency.compare_amounts(promised, total):
            raise ValidationError(
                self.env._(
                    "The instalments add up to %(sum)s, not the %(total)s agreed.",
                    sum=currency.format(promised),
                    total=currency.format(total),
                )
            )
        open_amount = sum(moves.mapped("amount_residual"))
        if currency.compare_amounts(promised, open_amount) > 0:
            raise ValidationError(
                self.env._(
                    "The promise (%(promised)s) exceeds the open amount of the invoices (%(open)s).",
                    promised=currency.format(promised),
                    open=currency.format(open_amount),
                )
            )
        return currency

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_cancel(self, reason=None):
        """Managers only; an open promise is cancelled with a reason."""
        if not self.env.user.has_group(MANAGER):
            raise AccessError(self.env._("Only collections managers can cancel a promise."))
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Give the reason for cancelling the promise."))
        if self.filtered(lambda p: p.state != "open"):
            raise UserError(self.env._("Only open promises can be cancelled."))
        self.sudo().write(
            {"state": "cancelled", "cancel_reason": reason, "state_date": fields.Date.context_today(self)}
        )
        self.move_ids._collection_schedule()
        return True

    # ------------------------------------------------------------------
    # Evaluation against payments
    # ------------------------------------------------------------------
    def _payments_by_move(self):
        """{invoice id: [(payment date, amount in invoice currency)]} for the covered invoices."""
        moves = self.move_ids
        if not moves:
            return {}
        self.env["account.partial.reconcile"].flush_model()
        self.env["account.move.line"].flush_model(["move_id", "account_id"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT line.move_id, partial.max_date, partial.debit_amount_currency
                  FROM account_partial_reconcile partial
                  JOIN account_move_line line ON line.id = partial.debit_move_id
                  JOIN account_account account ON account.id = line.account_id
                 WHERE line.move_id = ANY(%s) AND account.account_type = 'asset_receivable'
              ORDER BY partial.max_date, partial.id
                """,
                moves.ids,
            )
        )
        payments = defaultdict(list)
        for move_id, day, amount in rows:
            payments[move_id].append((day, amount))
        return payments

    def _evaluate(self, today=None, decided=False):
        """Decide kept / partially kept / broken from the payments on the covered invoices.

        A payment counts when it is reconciled with a covered invoice and dated between the
        day the promise was agreed and the promised date plus the company's grace days.
        Promises of one customer draw on those payments in date order (instalment 1 first),
        so a payment is never counted twice and an over-payment flows to the next instalment.
        Payments on other invoices of the customer do not count: a promise is for its invoices.

        With `decided`, promises already decided are examined again: a payment dated within
        their term may be reconciled after the daily job broke them (a late bank statement, a
        reconciliation racing the job). Their state follows the payments; they never escalate
        a second time.
        Returns the promises that broke.
        """
        today = today or fields.Date.context_today(self)
        states = ("open", "kept", "partial", "broken") if decided else ("open",)
        promises = self.filtered(lambda p: p.state in states)
        if not promises:
            return self.browse()
        # Other promises of the same invoices share the payments; evaluate them together.
        promises |= self.search([("state", "in", states), ("move_ids", "in", promises.move_ids.ids)])
        payments = promises._payments_by_move()
        used = defaultdict(float)  # (move id, payment index) -> amount already attributed
        broken = self.browse()
        updates = defaultdict(lambda: self.browse())
        deadlines = promises._collection_deadlines()
        for promise in promises.sorted(lambda p: (p.date, p.instalment, p.id)):
            deadline = deadlines[promise.id]
            needed, paid = promise.amount, 0.0
            for move in promise.move_ids:
                for index, (day, amount) in enumerate(payments.get(move.id, [])):
                    if day < promise.date_start or day > deadline or needed - paid <= 0:
                        continue
                    available = amount - used[(move.id, index)]
                    take = min(available, needed - paid)
                    if take > 0:
                        used[(move.id, index)] += take
                        paid += take
            currency = promise.currency_id
            if currency.compare_amounts(paid, promise.amount) >= 0:
                state = "kept"
            elif today <= deadline:
                state = "open"
            elif currency.is_zero(paid):
                state = "broken"
            else:
                state = "partial"
            previous = promise.state
            if previous != "open" and state == "open":
                state = previous  # a decided promise's term is over, whatever the settings say now
            if state != previous or currency.compare_amounts(paid, promise.paid_amount):
                # Grouped per currency too: one write sets an amount in one currency.
                updates[(state, currency.round(paid), state != previous, currency)] |= promise
            if previous == "open" and state in ("broken", "partial"):
                broken |= promise
        for (state, paid, changed, _), group in updates.items():
            redecided = group.filtered(lambda p: p.state != "open")
            vals = {"paid_amount": paid}
            if changed:
                vals.update(state=state, state_date=today)
            group.sudo().write(vals)
            if changed and redecided:
                label = dict(self._fields["state"]._description_selection(self.env))[state]
                body = escape(
                    self.env._(
                        "Evaluated again after a late payment: the promise is now %(state)s.", state=label
                    )
                )
                redecided._message_log_batch(bodies=dict.fromkeys(redecided.ids, body))
        settled = promises.filtered(lambda p: p.state != "open")
        if settled:
            # Back on the ladder; a broken promise then pulls the next step forward.
            settled.move_ids._collection_schedule()
        if broken:
            broken._escalate_broken(today)
        return broken

    def _collection_deadlines(self):
        """{promise id: last day a payment keeps it}: the promised date plus the company's
        grace, counted in working days of the collection calendar."""
        deadlines = {}
        for company, promises in self.grouped("company_id").items():
            grace = company.sudo().collection_promise_grace
            if not grace:
                deadlines.update((promise.id, promise.date) for promise in promises)
                continue
            dates = promises.mapped("date")
            workdays = company._collection_workdays(min(dates), max(dates) + timedelta(days=3 * grace + 30))
            for promise in promises:
                # The grace-th working day after the promised date.
                deadlines[promise.id] = workdays.shift(promise.date + timedelta(days=1), grace - 1)
        return deadlines

    def _escalate_broken(self, today):
        """Broken promises escalate at once: the next level fires, one call, the manager told.

        Per customer, however many of its promises broke today: the covered items climb to
        their next level now (its e-mail and letter go today), the collector gets one call for
        the next working day (the level's own call is that same call) and the manager a task.
        Customers handed to lawyers only get the call and the task.
        """
        call_type, todo_type = self.env.ref(CALL_TYPE), self.env.ref(TODO_TYPE)
        vals_list, bodies, calls = [], {}, {}
        for company, company_promises in self.grouped("company_id").items():
            Run = self.env["account.collection.run"].sudo().with_company(company)
            moves = company_promises.move_ids.sudo().with_company(company)
            lines = moves._collection_items().filtered(lambda line: line._collection_is_open())
            workdays = lines._collection_workdays(company, today)
            # Decided on a weekend or holiday: the escalation happens on the next working day.
            workday = workdays.next_workday(today) or today
            tomorrow = workdays.shift(workday + timedelta(days=1), 0) or workday + timedelta(days=1)
            partner_ids = lines.partner_id.commercial_partner_id.ids
            excluded = Run._collection_excluded_partner_ids(company, partner_ids, workday)
            kept_out = self.env["account.collection.exclusion"]._collection_active(company, workday)[1]
            lines = lines.filtered(lambda line, skip=kept_out: line.id not in skip)
            # Only the items due by then: an instalment not yet due keeps its own steps.
            escalated = lines.filtered(
                lambda line, skip=excluded, day=workday: line.partner_id.commercial_partner_id.id not in skip
                and not line.move_id.collection_disputed
                and (line.date_maturity or line.date) <= day
            )
            escalated._collection_bring_forward(workday)
            if workday == today:
                customers = escalated.partner_id.commercial_partner_id.ids
                done = Run._collection_run_batch(
                    company,
                    today,
                    customers,
                    workdays,
                    defaultdict(int),
                    escalate=set(escalated.ids),
                    call_day=tomorrow,
                )
                if set(customers) - done:
                    # A run (of this company or another) holds some of them: their items are
                    # due today (brought forward above), and the ladder's job, run again once it
                    # is free, takes their step today rather than on its next night.
                    self.env.ref("account_collections.ir_cron_collection_ladder").sudo()._trigger()
            existing = Run._collection_calls_on(partner_ids, tomorrow)
            for partner, promises in company_promises.grouped(
                lambda p: p.partner_id.commercial_partner_id
            ).items():
                collector = promises[0].user_id or partner.with_company(company)._collection_collector()
                manager = moves._collection_manager(company, collector)
                summary = self.env._(
                    "Promise broken: %(promises)s",
                    promises=", ".join(
                        self.env._(
                            "%(amount)s due %(date)s", amount=p.currency_id.format(p.amount), date=p.date
                        )
                        for p in promises
                    ),
                )
                common = {"res_model": "res.partner", "res_id": partner.id, "automated": True}
                if partner.id in existing:
                    calls[existing[partner.id]] = summary
                else:
                    vals_list.append(
                        {
                            **common,
                            "activity_type_id": call_type.id,
                            "summary": summary,
                            "date_deadline": tomorrow,
                            "user_id": collector.id,
                        }
                    )
                vals_list.append(
                    {
                        **common,
                        "activity_type_id": todo_type.id,
                        "date_deadline": workday,
                        "user_id": manager.id,
                        "summary": self.env._("Review: %(summary)s", summary=summary),
                    }
                )
                bodies[partner.id] = escape(summary)
        for activity, summary in calls.items():
            # The level's call of tomorrow is the broken promise's call: say so first.
            activity.write(
                {"summary": summary, "note": Markup("<p>%s</p>") % summary + (activity.note or "")}
            )
        self.env["account.collection.run"].sudo()._collection_new_activities(vals_list)
        self.env["res.partner"].sudo().browse(list(bodies))._message_log_batch(bodies=bodies)

    @api.model
    def _cron_evaluate(self, batch_size=2000):
        """Daily: decide the promises whose date (plus grace) has passed."""
        today = fields.Date.context_today(self)
        promises = self.sudo().search([("state", "=", "open"), ("date", "<", today)])
        for offset in range(0, len(promises), batch_size):
            promises[offset : offset + batch_size]._evaluate(today)
            if self.env.context.get("cron_id"):
                self.env["ir.cron"]._commit_progress(
                    min(batch_size, len(promises) - offset),
                    remaining=max(len(promises) - offset - batch_size, 0),
                )
