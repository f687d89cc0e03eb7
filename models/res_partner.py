from datetime import timedelta

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_date

from ..const import CALL_TYPE, COLLECTOR, MANAGER, TODO_TYPE
from ..grant import SET_COLLECTOR, grant, granted

# Aging buckets as (field name, lowest days overdue, highest days overdue).
AGING_BUCKETS = [
    ("collection_aging_not_due", None, 0),
    ("collection_aging_1_30", 1, 30),
    ("collection_aging_31_60", 31, 60),
    ("collection_aging_61_90", 61, 90),
    ("collection_aging_over_90", 91, None),
]
EXPOSURE_FIELDS = [
    "collection_open_amount",
    "collection_overdue_amount",
    "collection_overdue_days",
    *(name for name, _low, _high in AGING_BUCKETS),
]
# Broken promises count towards the hold rule for this many days.
BROKEN_PROMISE_DAYS = 90
CREDIT_STATUSES = [("normal", "Normal"), ("warning", "Warning"), ("hold", "On Hold")]


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------------
    # Fields: terms agreed by management (per company, like credit_limit)
    # ------------------------------------------------------------------
    collection_user_id = fields.Many2one(
        "res.users",
        company_dependent=True,
        tracking=True,
        help="Who calls this customer. Defaults to the salesperson, then the ladder's collector.",
        groups=COLLECTOR,
    )
    collection_ladder_id = fields.Many2one(
        "account.collection.ladder",
        company_dependent=True,
        tracking=True,
        help="Leave empty to follow the company's default ladder.",
        groups=COLLECTOR,
    )
    collection_stage = fields.Selection(
        [("normal", "Normal follow-up"), ("legal", "Handed to lawyers")],
        company_dependent=True,
        tracking=True,
        help="Customers handed to lawyers get no automatic collection action.",
        groups=COLLECTOR,
    )
    collection_tolerance_days = fields.Integer(
        string="Tolerated Overdue Days",
        company_dependent=True,
        tracking=True,
        help="Overdue days management forgives before the customer goes on hold.",
        groups=COLLECTOR,
    )
    collection_tolerance_amount = fields.Float(
        string="Tolerated Overdue Amount",
        company_dependent=True,
        tracking=True,
        digits="Account",
        help="Overdue amount (company currency) management forgives before the customer goes on hold.",
        groups=COLLECTOR,
    )
    collection_tolerance_until = fields.Date(
        string="Tolerance Valid Until", company_dependent=True, tracking=True, groups=COLLECTOR
    )
    collection_tolerance_user_id = fields.Many2one(
        "res.users", string="Tolerance Approved By", company_dependent=True, tracking=True, groups=COLLECTOR
    )
    collection_tolerance_date = fields.Date(
        string="Tolerance Approved On", company_dependent=True, tracking=True, groups=COLLECTOR
    )
    collection_tolerance_reason = fields.Char(
        string="Tolerance Reason", company_dependent=True, tracking=True, groups=COLLECTOR
    )
    collection_hold_manual = fields.Boolean(
        string="Manual Credit Hold", company_dependent=True, tracking=True, groups=COLLECTOR
    )
    collection_hold_reason = fields.Char(
        string="Hold Reason", company_dependent=True, tracking=True, groups=COLLECTOR
    )
    collection_charges_exempt = fields.Boolean(
        string="No Late-Payment Charges",
        company_dependent=True,
        tracking=True,
        groups=COLLECTOR,
        help="This customer is never charged late-payment fees or interest.",
    )
    # Last status written to the chatter, to log transitions (hold / release) once.
    collection_logged_status = fields.Selection(
        CREDIT_STATUSES, company_dependent=True, copy=False, readonly=True, groups=COLLECTOR
    )
    collection_broken_promise_count = fields.Integer(
        string="Broken Promises (90 days)",
        compute="_compute_collection_exposure",
        groups=COLLECTOR,
    )
    collection_promise_count = fields.Integer(
        string="Open Promises", compute="_compute_collection_promise_count", groups=COLLECTOR
    )
    collection_call_count = fields.Integer(
        string="Collection Calls", compute="_compute_collection_call_count", groups=COLLECTOR
    )
    collection_history_count = fields.Integer(
        string="Ladder Steps", compute="_compute_collection_history_count", groups=COLLECTOR
    )
    collection_can_edit_terms = fields.Boolean(compute="_compute_collection_can_edit_terms", groups=COLLECTOR)
    collection_request_ids = fields.One2many(
        "account.collection.credit.request", "partner_id", string="Credit Requests", groups=COLLECTOR
    )

    # ------------------------------------------------------------------
    # Fields: exposure and aging (computed for the whole recordset at once)
    # ------------------------------------------------------------------
    collection_currency_id = fields.Many2one(
        "res.currency", compute="_compute_collection_currency_id", groups=COLLECTOR
    )
    collection_open_amount = fields.Monetary(
        string="Open Receivable",
        compute="_compute_collection_exposure",
        search="_search_collection_open_amount",
        currency_field="collection_currency_id",
        groups=COLLECTOR,
    )
    collection_overdue_amount = fields.Monetary(
        string="Overdue Amount",
        compute="_compute_collection_exposure",
        search="_search_collection_overdue_amount",
        currency_field="collection_currency_id",
        groups=COLLECTOR,
    )
    collection_overdue_days = fields.Integer(
        string="Days Overdue",
        compute="_compute_collection_exposure",
        search="_search_collection_overdue_days",
        help="Days since the due date of the oldest overdue invoice.",
        groups=COLLECTOR,
    )
    collection_aging_not_due = fields.Monetary(
        string="Not Due",
        compute="_compute_collection_exposure",
        currency_field="collection_currency_id",
        groups=COLLECTOR,
    )
    collection_aging_1_30 = fields.Monetary(
        string="1-30",
        compute="_compute_collection_exposure",
        currency_field="collection_currency_id",
        groups=COLLECTOR,
    )
    collection_aging_31_60 = fields.Monetary(
        string="31-60",
        compute="_compute_collection_exposure",
        currency_field="collection_currency_id",
        groups=COLLECTOR,
    )
    collection_aging_61_90 = fields.Monetary(
        string="61-90",
        compute="_compute_collection_exposure",
        currency_field="collection_currency_id",
        groups=COLLECTOR,
    )
    collection_aging_over_90 = fields.Monetary(
        string="Over 90",
        compute="_compute_collection_exposure",
        currency_field="collection_currency_id",
        groups=COLLECTOR,
    )
    collection_dso = fields.Float(
        string="DSO (days)",
        compute="_compute_collection_dso",
        digits=(16, 1),
        help="Days sales outstanding: open receivable divided by the last 90 days' invoicing, times "
        "90 (times the days since the first invoice, for a customer invoiced for the first time "
        "within those 90 days).",
        groups=COLLECTOR,
    )
    collection_credit_status = fields.Selection(
        CREDIT_STATUSES,
        string="Credit Status",
        compute="_compute_collection_credit_status",
        search="_search_collection_credit_status",
        groups=COLLECTOR,
    )
    collection_hold_reasons = fields.Text(
        string="Why On Hold", compute="_compute_collection_hold_reasons", groups=COLLECTOR
    )

    # ------------------------------------------------------------------
    # Compute and search
    # ------------------------------------------------------------------
    def _compute_collection_can_edit_terms(self):
        self.collection_can_edit_terms = self.env.user.has_group(MANAGER)

    def _compute_collection_currency_id(self):
        self.collection_currency_id = self.env.company.currency_id

    @api.depends_context("company")
    def _compute_collection_exposure(self):
        exposure = self._collection_exposure_by_partner(broken_promises=True)
        empty = dict.fromkeys([*EXPOSURE_FIELDS, "broken_promises"], 0)
        exposure_fields = [self._fields[name] for name in EXPOSURE_FIELDS]
        broken_field = self._fields["collection_broken_promise_count"]
        for partner in self:
            values = exposure.get(partner.commercial_partner_id.id, empty)
            for field in exposure_fields:
                # Sums of rounded residuals, already in company currency: straight to the
                # cache, without the per-value rounding of an assignment (lists of thousands).
                field._update_cache(partner, values[field.name])
            broken_field._update_cache(partner, values["broken_promises"])

    def _collection_exposure_from_fields(self):
        """The exposure of the commercial partners of `self`, shaped as
        ``_collection_exposure_by_partner(broken_promises=True)`` returns it, read from the
        computed fields: a list or form showing the figures and the credit status then sums
        the open items once."""
        return {
            commercial.id: {
                **{name: commercial[name] for name in EXPOSURE_FIELDS},
                "broken_promises": commercial.collection_broken_promise_count,
            }
            for commercial in self.commercial_partner_id
        }

    def _collection_exposure_columns(self, today):
        """SQL aggregates over open receivable lines `aml`, one per exposure field.

        Unapplied credits (payments, credit notes) count in the open amount and their
        bucket, and reduce the overdue amount: that money is already the company's.
        """
        days = SQL("(%s::date - aml.date_maturity)", today)
        debit_due = SQL("aml.amount_residual > 0 AND %s > 0", days)
        overdue = SQL(
            "GREATEST(COALESCE(SUM(aml.amount_residual) FILTER (WHERE %s), 0)"
            " + COALESCE(SUM(aml.amount_residual) FILTER (WHERE aml.amount_residual < 0), 0), 0)",
            debit_due,
        )
        columns = {
            "collection_open_amount": SQL("COALESCE(SUM(aml.amount_residual), 0)"),
            "collection_overdue_amount": overdue,
            "collection_overdue_days": SQL(
                "CASE WHEN %s > 0 THEN COALESCE(MAX(%s) FILTER (WHERE %s), 0) ELSE 0 END",
                overdue,
                days,
                debit_due,
            ),
        }
        for name, low, high in AGING_BUCKETS:
            if low is None:
                condition = SQL("%s <= %s", days, high)
            elif high is None:
                condition = SQL("%s >= %s", days, low)
            else:
                condition = SQL("%s BETWEEN %s AND %s", days, low, high)
            columns[name] = SQL("COALESCE(SUM(aml.amount_residual) FILTER (WHERE %s), 0)", condition)
        return columns

    def _collection_open_items_sql(self, partner_condition, joins=None):
        """FROM and WHERE of the open receivable items of the current company: the one rule of
        what a customer owes. ``customer.commercial_partner_id`` is the customer an item belongs
        to (an item booked on a contact person is its company's). `joins`: more tables the
        caller reads, joined to ``aml``."""
        return SQL(
            """
              FROM account_move_line aml
              JOIN account_account account ON account.id = aml.account_id
              JOIN res_partner customer ON customer.id = aml.partner_id
                   %s
             WHERE %s
               AND aml.company_id = %s
               AND aml.parent_state = 'posted'
               AND account.account_type = 'asset_receivable'
               AND NOT aml.reconciled
               AND aml.amount_residual != 0
            """,
            joins or SQL(),
            partner_condition,
            self.env.company.id,
        )

    def _collection_exposure_by_partner(self, today=None, broken_promises=False):
        """Open receivable, overdue and aging of the commercial partners of `self`.

        One query for the whole recordset, in company currency of the current company.
        With `broken_promises`, the same query also counts each partner's promises broken in
        the last 90 days (key ``broken_promises``), for the credit-hold check.
        Returns {commercial partner id: {field name: value}}.
        """
        partner_ids = list(set(self.commercial_partner_id.ids))
        if not partner_ids:
            return {}
        today = today or fields.Date.context_today(self)
        columns = self._collection_exposure_columns(today)
        query = SQL(
            "SELECT customer.commercial_partner_id AS partner_id, %s %s "
            "GROUP BY customer.commercial_partner_id",
            SQL(", ").join(columns[name] for name in EXPOSURE_FIELDS),
            self._collection_open_items_sql(SQL("customer.commercial_partner_id = ANY(%s)", partner_ids)),
        )
        names = list(EXPOSURE_FIELDS)
        if broken_promises:
            self.env["account.collection.promise"].flush_model(
                ["partner_id", "company_id", "state", "state_date"]
            )
            names.append("broken_promises")
            query = SQL(
                """
                WITH exposure AS (%(exposure)s),
                     broken AS (
                        SELECT partner_id, COUNT(*) AS broken
                          FROM account_collection_promise
                         WHERE partner_id = ANY(%(partners)s) AND company_id = %(company)s
                           AND state = 'broken' AND state_date >= %(since)s
                      GROUP BY partner_id)
                SELECT COALESCE(exposure.partner_id, broken.partner_id), exposure.*, broken.broken
                  FROM exposure FULL JOIN broken ON broken.partner_id = exposure.partner_id
                """,
                exposure=query,
                partners=partner_ids,
                company=self.env.company.id,
                since=today - timedelta(days=BROKEN_PROMISE_DAYS),
            )
        self._collection_flush_open_items()
        result = {}
        for row in self.env.execute_query(query):
            if broken_promises:
                # (partner, exposure's partner and figures, broken count): figures are NULL
                # for a partner with broken promises and nothing open.
                row = (row[0], *row[2:])
            result[row[0]] = {name: value or 0 for name, value in zip(names, row[1:], strict=True)}
        return result

    def _order_field_to_sql(self, alias, field_name, direction, nulls, query):
        """Make the exposure columns sortable in lists: a correlated aggregate per row."""
        if field_name not in EXPOSURE_FIELDS:
            return super()._order_field_to_sql(alias, field_name, direction, nulls, query)
        self._collection_flush_open_items()
        column = self._collection_exposure_columns(fields.Date.context_today(self))[field_name]
        partner = SQL("customer.commercial_partner_id = %s", SQL.identifier(alias, "commercial_partner_id"))
        return SQL("(SELECT %s %s) %s %s", column, self._collection_open_items_sql(partner), direction, nulls)

    def _collection_flush_open_items(self):
        """Flush what ``_collection_open_items_sql`` reads, before raw SQL on it."""
        self.env["account.move.line"].flush_model(
            ["partner_id", "company_id", "parent_state", "account_id", "reconciled", "amount_residual"]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])

    def _collection_receivable_partner_ids(self):
        """Commercial partners with an open receivable in the current company."""
        query = SQL(
            "SELECT DISTINCT customer.commercial_partner_id %s", self._collection_open_items_sql(SQL("TRUE"))
        )
        self._collection_flush_open_items()
        return [row[0] for row in self.env.execute_query(query)]

    def _search_collection_exposure(self, field_name, operator, value):
        """Search on an exposure figure: compute it for debtors only, in one query."""
        if operator not in ("=", "!=", "<", "<=", ">", ">=") or isinstance(value, (list, tuple)):
            return NotImplemented
        debtors = self.browse(self._collection_receivable_partner_ids())
        exposure = debtors._collection_exposure_by_partner()
        compare = {
            "=": lambda a: a == value,
            "!=": lambda a: a != value,
            "<": lambda a: a < value,
            "<=": lambda a: a <= value,
            ">": lambda a: a > value,
            ">=": lambda a: a >= value,
        }[operator]
        matching = [pid for pid, vals in exposure.items() if compare(vals[field_name])]
        if compare(0):
            # Partners without any open item have 0 everywhere: exclude the others instead.
            others = [pid for pid in exposure if pid not in set(matching)]
            return [("commercial_partner_id", "not in", others)]
        return [("commercial_partner_id", "in", matching)]

    def _search_collection_open_amount(self, operator, value):
        return self._search_collection_exposure("collection_open_amount", operator, value)

    def _search_collection_overdue_amount(self, operator, value):
        return self._search_collection_exposure("collection_overdue_amount", operator, value)

    def _search_collection_overdue_days(self, operator, value):
        return self._search_collection_exposure("collection_overdue_days", operator, value)

    @api.depends_context("company")
    def _compute_collection_dso(self):
        exposure = self._collection_exposure_by_partner()
        since = fields.Date.context_today(self) - timedelta(days=90)
        groups = self.env["account.move"]._read_group(
            [
                ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
                ("invoice_date", ">=", since),
            ],
            ["commercial_partner_id"],
            ["amount_total_signed:sum"],
        )
        sales = {partner.id: amount for partner, amount in groups}
        # A customer invoiced for the first time within the period is measured over the days
        # it has been a customer: invoiced yesterday, its DSO is a day, not 90.
        firsts = self.env["account.move"]._read_group(
            [
                ("commercial_partner_id", "in", [pid for pid, amount in sales.items() if amount > 0]),
                ("company_id", "=", self.env.company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
            ],
            ["commercial_partner_id"],
            ["invoice_date:min"],
        )
        today = fields.Date.context_today(self)
        days = {partner.id: min(90, (today - first).days + 1) for partner, first in firsts if first}
        for partner in self:
            commercial = partner.commercial_partner_id.id
            invoiced = sales.get(commercial, 0.0)
            open_amount = exposure.get(commercial, {}).get("collection_open_amount", 0.0)
            period = max(days.get(commercial, 90), 1)
            partner.collection_dso = open_amount / invoiced * period if invoiced > 0 else 0.0

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_collection_log_call(self):
        """Open the call-outcome wizard for this customer (its planned call, if any, is closed)."""
        self.ensure_one()
        partner = self.commercial_partner_id
        call = partner.activity_ids.filtered(
            lambda a: a.activity_type_id
            == self.env.ref("account_collections.mail_activity_type_collection_call")
        ).sorted("date_deadline")[:1]
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections.account_collection_call_register_action"
        )
        action["context"] = {"default_partner_id": partner.id, "default_activity_id": call.id}
        return action

    def _collection_customer_action(self, xmlid):
        """Window action `xmlid` restricted to this customer's records."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        return action

    def action_collection_promises(self):
        return self._collection_customer_action("account_collections.account_collection_promise_action")

    def action_collection_history(self):
        """The ladder steps taken for this customer: calls, e-mails, letters, hand-overs."""
        return self._collection_customer_action("account_collections.account_collection_history_action")

    def action_collection_calls(self):
        return self._collection_customer_action("account_collections.account_collection_call_action")

    # ------------------------------------------------------------------
    # Business: who collects, and what they need before calling
    # ------------------------------------------------------------------
    def _collection_collector(self, ladder=None):
        """Who collects from this customer in the current company: its collector, else its
        salesperson, else the ladder's collector or manager, else the company's default."""
        self.ensure_one()
        return self._collection_collectors({self.id: ladder} if ladder else None)[self.id]

    def _collection_collectors(self, ladders=None):
        """{partner id: collector} of these customers (see ``_collection_collector``), with
        `ladders` {partner id: ladder} when known: the company is read once for a batch."""
        ladders = ladders or {}
        company = self.env.company.sudo()
        collectors = {}
        if len(self) > 1:
            # What is read, for the whole batch in one query: reading a field first loads
            # every column of the customers (prices lists, images' presence, and more).
            self.fetch(
                [
                    "parent_id",
                    "commercial_partner_id",
                    "collection_ladder_id",
                    "collection_user_id",
                    "user_id",
                ]
            )
        # Who a ladder falls back to is the same for all its customers: found once per ladder.
        fallbacks = {}
        for customer in self:
            # A company reads its own fields, with those of the records it was browsed with.
            partner = customer.commercial_partner_id if customer.parent_id else customer
            collector = partner.collection_user_id or partner.user_id
            if not collector:
                ladder = (
                    ladders.get(customer.id) or partner.collection_ladder_id or company.collection_ladder_id
                )
                if ladder.id not in fallbacks:
                    fallbacks[ladder.id] = (
                        ladder.user_id
                        or ladder.manager_id
                        or company.collection_user_id
                        or company._collection_fallback_user()
                    )
                collector = fallbacks[ladder.id]
            collectors[customer.id] = collector
        return collectors

    def _collection_last_time(self):
        """What the collector needs before calling, as HTML: the customer's open promises and its
        last call (date, outcome, reason given, next step)."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        company = self.env.company
        promises = self.env["account.collection.promise"].search(
            [("partner_id", "=", commercial.id), ("company_id", "=", company.id), ("state", "=", "open")],
            order="date",
        )
        last = self.env["account.collection.call"].search(
            [("partner_id", "=", commercial.id), ("company_id", "=", company.id)],
            order="date desc, id desc",
            limit=1,
        )
        lines = [
            self.env._(
                "Promised %(amount)s by %(date)s",
                amount=promise.currency_id.format(promise.amount),
                date=format_date(self.env, promise.date),
            )
            for promise in promises
        ]
        if last:
            text = self.env._(
                "Last call %(date)s by %(user)s: %(outcome)s",
                date=format_date(self.env, last.date.date()),
                user=last.user_id.name,
                outcome=last.outcome_id.name,
            )
            if last.reason_id:
                text += " (" + last.reason_id.name + ")"
            if last.next_step:
                text += "; " + self.env._("next step: %(step)s", step=last.next_step)
            lines.append(text)
        if not lines:
            return False
        return Markup("<ul>%s</ul>") % Markup("").join(Markup("<li>%s</li>") % line for line in lines)

    def _collection_set_collector(self, user, reason):
        """Give these customers to collector `user` in the current company, with their open
        collection calls and the collector's open collection tasks; the chatter says who
        changed it, when (the message) and why.

        The one way the collector changes: the reassignment wizard, the customer form (through
        ``write``) and the ladder's hand-over rule all come here. Managers only.
        """
        if not self.env.su and not self.env.user.has_group(MANAGER):
            raise AccessError(self.env._("Only collections managers hand customers to another collector."))
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Say why the customers change hands."))
        partners = self.commercial_partner_id.filtered(lambda p: p.collection_user_id != user)
        if not partners:
            return
        previous = {partner.id: partner._collection_collector() for partner in partners}
        with grant(self.env, SET_COLLECTOR, partners.ids):
            partners.sudo().with_context(tracking_disable=True).write({"collection_user_id": user.id})
        call_type, todo_type = self.env.ref(CALL_TYPE), self.env.ref(TODO_TYPE)
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", partners.ids),
                    ("activity_type_id", "in", (call_type | todo_type).ids),
                    ("user_id", "!=", user.id),
                ]
            )
        )
        # Calls follow the customer; tasks only when they were the previous collector's (a
        # manager's review task stays with the manager).
        activities.filtered(
            lambda a: a.activity_type_id == call_type or a.user_id == previous[a.res_id]
        ).write({"user_id": user.id})
        partners._message_log_batch(
            bodies={
                partner.id: escape(
                    self.env._(
                        "Collector changed from %(old)s to %(new)s by %(user)s: %(reason)s",
                        old=previous[partner.id].name,
                        new=user.name or "-",
                        user=self.env.user.name,
                        reason=reason,
                    )
                )
                for partner in partners
            }
        )

    def _collection_task(self, activity_type, user, summary, day, note=False, call_time=0.0, company=None):
        """Schedule a collection call or task about this customer for `user` on `day`; it counts
        for `company` (the company whose receivables it is about) in the managers' figures."""
        self.ensure_one()
        return (
            self.env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": self.id,
                    "activity_type_id": self.env.ref(activity_type).id,
                    "summary": summary,
                    "note": note,
                    "date_deadline": day,
                    "user_id": user.id,
                    "automated": True,
                    "collection_call_time": call_time,
                    "collection_company_id": company.id if company else False,
                }
            )
        )

    def _collection_count_per_customer(self, model, fname, domain=()):
        """Set `fname` to the number of `model` records of each customer, in one query."""
        groups = self.env[model]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids), *domain], ["partner_id"], ["__count"]
        )
        counts = {partner.id: count for partner, count in groups}
        for partner in self:
            partner[fname] = counts.get(partner.commercial_partner_id.id, 0)

    @api.depends_context("company")
    def _compute_collection_promise_count(self):
        self._collection_count_per_customer(
            "account.collection.promise", "collection_promise_count", [("state", "=", "open")]
        )

    @api.depends_context("company")
    def _compute_collection_history_count(self):
        self._collection_count_per_customer("account.collection.history", "collection_history_count")

    @api.depends_context("company")
    def _compute_collection_call_count(self):
        self._collection_count_per_customer("account.collection.call", "collection_call_count")

    # ------------------------------------------------------------------
    # Constraints and CRUD
    # ------------------------------------------------------------------
    @api.constrains("collection_tolerance_days", "collection_tolerance_amount")
    def _check_collection_tolerance(self):
        for partner in self:
            if partner.collection_tolerance_days < 0 or partner.collection_tolerance_amount < 0:
                raise UserError(self.env._("A tolerance cannot be negative."))

    @api.model
    def _collection_manager_fields(self):
        """Fields only collection managers may change."""
        return {
            "collection_tolerance_days",
            "collection_tolerance_amount",
            "collection_tolerance_until",
            "collection_tolerance_user_id",
            "collection_tolerance_date",
            "collection_tolerance_reason",
            "collection_hold_manual",
            "collection_hold_reason",
            "collection_ladder_id",
            "collection_stage",
            "collection_user_id",
            "collection_charges_exempt",
            "credit_limit",
            "use_partner_credit_limit",
        }

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and not self.env.user.has_group(MANAGER):
            guarded = {
                name for vals in vals_list for name in self._collection_manager_fields() if vals.get(name)
            }
            if guarded:
                raise UserError(
                    self.env._(
                        "Only collections managers can set credit terms (%(fields)s).",
                        fields=", ".join(sorted(self._fields[name].string for name in guarded)),
                    )
                )
        return super().create(vals_list)

    def write(self, vals):
        guarded = self._collection_manager_fields() & set(vals)
        if guarded and not self.env.su and not self.env.user.has_group(MANAGER):
            raise UserError(
                self.env._(
                    "Only collections managers can change credit terms (%(fields)s).",
                    fields=", ".join(sorted(self._fields[name].string for name in guarded)),
                )
            )
        if "collection_tolerance_days" in vals or "collection_tolerance_amount" in vals:
            # The approval is recorded with the terms, by whoever set them.
            vals.setdefault("collection_tolerance_user_id", self.env.user.id)
            vals.setdefault("collection_tolerance_date", fields.Date.context_today(self))
        if vals.get("collection_hold_manual") and not vals.get("collection_hold_reason"):
            missing = self.filtered(lambda p: not p.collection_hold_reason)
            if missing:
                raise UserError(self.env._("Give a reason to put a customer on hold."))
        if "collection_user_id" in vals and not granted(self.env, SET_COLLECTOR, self.ids):
            # Set on the form or by RPC: the collector's work moves with the customer.
            vals = dict(vals)
            user = self.env["res.users"].browse(vals.pop("collection_user_id"))
            result = super().write(vals) if vals else True
            self._collection_set_collector(user, self.env._("changed on the customer"))
            return result
        return super().write(vals)
