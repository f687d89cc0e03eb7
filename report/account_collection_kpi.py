"""The managers' collection figures, one row per company (and collector) and day.

Stocks (what was owed, DSO, CEI) come from the daily snapshots, so a trend shows what was true
on each day; flows (money collected, promises, hand-overs) from the documents of the day.
Grouped by week or month, stocks are averaged over the days (the companies' rows of a day added
up first) and flows added up.

Definitions (README, *Manager's figures*):
- DSO = open receivable / credit sales of the last 90 days x 90 (the standard "sales method");
- best possible DSO = receivable not yet due / the same sales x 90;
- CEI = (receivable 30 days before + credit sales of the 30 days - receivable today)
  / (receivable 30 days before + credit sales of the 30 days - receivable not yet due today) x 100.
"""

from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, format_date

from ..const import CALL_TYPE

DSO_DAYS = 90
CEI_DAYS = 30
# The company figures read from the day's snapshots (and sales_90, a rolling sum of a day):
# over a week or a month, averaged over the days (stock_select).
STOCKS = (
    "customer_count",
    "open_amount",
    "overdue_amount",
    "not_due",
    "days_1_30",
    "days_31_60",
    "days_61_90",
    "days_over_90",
    "hold_count",
    "disputed_amount",
    "sales_90",
)


def receipt_lines():
    """Money collected, one row per receivable line it credits (company_id, date, partner_id,
    amount): payments and bank statement lines on the receivable, not write-offs or other entries.
    The company figures and the collector figures count it alike (the drill-down's domain,
    ``action_open_receipts``, says the same in the ORM's terms)."""
    return SQL(
        """
        SELECT aml.company_id, aml.date, customer.commercial_partner_id AS partner_id,
               -aml.balance AS amount
          FROM account_move_line aml
          JOIN account_account account ON account.id = aml.account_id
          JOIN account_move move ON move.id = aml.move_id
          JOIN res_partner customer ON customer.id = aml.partner_id
         WHERE account.account_type = 'asset_receivable'
           AND aml.parent_state = 'posted'
           AND move.move_type = 'entry'
           AND (move.origin_payment_id IS NOT NULL OR move.statement_line_id IS NOT NULL)
           AND aml.balance < 0
        """
    )


def day_ranges(days):
    """The days as runs of consecutive days: [(first, last)], in order."""
    ranges = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    return [tuple(run) for run in ranges]


def kept_rate_select(model, aggregate_spec, query):
    """Over a week or a month, the kept rate is the promises kept among all those decided in the
    period, not the average of the days' rates (a day with one promise would weigh as much as a
    day with fifty). None when the spec is not the kept rate."""
    if aggregate_spec != "kept_rate:avg":
        return None
    return SQL(
        "SUM(%s) * 100.0 / NULLIF(SUM(%s), 0)",
        model._field_to_sql(model._table, "kept_count", query),
        model._field_to_sql(model._table, "decided_count", query),
    )


def stock_select(model, aggregate_spec, query, stocks):
    """A stock over a week or a month: what all the companies (or collectors) shown held
    together on a day, on average over the days with a snapshot. Each day's rows are added up
    (one row per company, or per company and collector) and the sum divided by the number of
    days, so that grouping by week neither adds the days up nor averages the companies (a plain
    average over the rows halves the total of two companies). None when `aggregate_spec` is not
    the average of one of `stocks`."""
    fname, _, func = aggregate_spec.partition(":")
    if func != "avg" or fname not in stocks:
        return None
    value = model._field_to_sql(model._table, fname, query)
    return SQL(
        "SUM(%(value)s) / NULLIF(COUNT(DISTINCT %(day)s) FILTER (WHERE %(value)s IS NOT NULL), 0)",
        value=value,
        day=model._field_to_sql(model._table, "date", query),
    )


def weighted_avg_select(model, fname, weight, query):
    """Over a week or a month, the average of daily averages `fname` weighted by the count each
    was taken over (`weight`): the average of the period's own items."""
    return SQL(
        "SUM(%(value)s * %(weight)s) / NULLIF(SUM(%(weight)s), 0)",
        value=model._field_to_sql(model._table, fname, query),
        weight=model._field_to_sql(model._table, weight, query),
    )


class AccountCollectionKpi(models.Model):
    _name = "account.collection.kpi"
    _description = "Collection Figures"
    _auto = False
    _order = "date desc"

    date = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    customer_count = fields.Integer(string="Customers Owing", aggregator="avg", readonly=True)
    open_amount = fields.Monetary(string="Receivable", aggregator="avg", readonly=True)
    overdue_amount = fields.Monetary(string="Overdue", aggregator="avg", readonly=True)
    not_due = fields.Monetary(aggregator="avg", readonly=True)
    days_1_30 = fields.Monetary(string="1-30 Days", aggregator="avg", readonly=True)
    days_31_60 = fields.Monetary(string="31-60 Days", aggregator="avg", readonly=True)
    days_61_90 = fields.Monetary(string="61-90 Days", aggregator="avg", readonly=True)
    days_over_90 = fields.Monetary(string="Over 90 Days", aggregator="avg", readonly=True)
    hold_count = fields.Integer(string="Customers on Hold", aggregator="avg", readonly=True)
    disputed_amount = fields.Monetary(string="Disputed", aggregator="avg", readonly=True)
    sales_90 = fields.Monetary(string="Credit Sales (90 days)", aggregator="avg", readonly=True)
    dso = fields.Float(string="DSO", digits=(16, 1), aggregator="avg", readonly=True)
    best_dso = fields.Float(string="Best Possible DSO", digits=(16, 1), aggregator="avg", readonly=True)
    cei = fields.Float(string="CEI (%)", digits=(16, 1), aggregator="avg", readonly=True)
    collected = fields.Monetary(
        readonly=True,
        help="Customer payments received (payments and bank statement lines on the receivable; "
        "not write-offs or other entries).",
    )
    recovered = fields.Monetary(
        string="Recovered after Hand-over",
        readonly=True,
        help="Payments of customers already handed to lawyers.",
    )
    promise_count = fields.Integer(string="Promises Made", readonly=True)
    promised_amount = fields.Monetary(readonly=True)
    kept_count = fields.Integer(string="Promises Kept", readonly=True)
    kept_amount = fields.Monetary(
        string="Amount Kept", readonly=True, help="Paid on the promises kept or partly kept that day."
    )
    partial_count = fields.Integer(string="Promises Partly Kept", readonly=True)
    broken_count = fields.Integer(string="Promises Broken", readonly=True)
    broken_amount = fields.Monetary(string="Amount Broken", readonly=True)
    decided_count = fields.Integer(
        string="Promises Decided", readonly=True, help="Promises kept, partly kept or broken."
    )
    kept_rate = fields.Float(
        string="Kept Rate (%)",
        digits=(16, 1),
        aggregator="avg",
        readonly=True,
        help="Promises kept among those decided (kept, partly kept or broken) that day, or over "
        "the week or month shown.",
    )
    dispute_opened = fields.Integer(string="Disputes Opened", readonly=True)
    dispute_resolved = fields.Integer(string="Disputes Resolved", readonly=True)
    dispute_days = fields.Float(
        string="Dispute Age (days)",
        digits=(16, 1),
        aggregator="avg",
        readonly=True,
        help="Days the disputes resolved that day (or in the week or month shown) had been open, on average.",
    )
    dispute_aged = fields.Integer(
        string="Disputes Aged",
        readonly=True,
        help="Resolved disputes whose opening is known (the age's weight).",
    )
    legal_count = fields.Integer(string="Handed to Lawyers", readonly=True)

    @api.depends("company_id", "date")
    def _compute_display_name(self):
        # A row is a company's day: the breadcrumb names it so, not by its row number.
        for row in self:
            row.display_name = f"{row.company_id.name}, {format_date(self.env, row.date)}"

    def _read_group_select(self, aggregate_spec, query):
        select = kept_rate_select(self, aggregate_spec, query)
        if select is None:
            select = stock_select(self, aggregate_spec, query, STOCKS)
        if select is not None:
            return select
        if aggregate_spec == "dispute_days:avg":
            # Weighted by the disputes resolved each day, as the kept rate is by the promises.
            return weighted_avg_select(self, "dispute_days", "dispute_aged", query)
        return super()._read_group_select(aggregate_spec, query)

    @property
    def _table_query(self):
        today = fields.Date.context_today(self)
        return SQL(
            """
            WITH days AS (
                SELECT company.id AS company_id, company.currency_id, day::date AS date
                  FROM res_company company
                 CROSS JOIN LATERAL generate_series(
                           (SELECT MIN(s.date) FROM account_collection_snapshot s
                             WHERE s.company_id = company.id),
                           %(today)s::date, interval '1 day') AS day
            ),
            stock AS (
                SELECT company_id, date, COUNT(*) AS customer_count, SUM(open_amount) AS open_amount,
                       SUM(overdue_amount) AS overdue_amount, SUM(not_due) AS not_due,
                       SUM(days_1_30) AS days_1_30, SUM(days_31_60) AS days_31_60,
                       SUM(days_61_90) AS days_61_90, SUM(days_over_90) AS days_over_90,
                       COUNT(*) FILTER (WHERE on_hold) AS hold_count,
                       SUM(disputed_amount) AS disputed_amount
                  FROM account_collection_snapshot
                 GROUP BY company_id, date
            ),
            daily_sales AS (
                SELECT company_id, invoice_date AS date, SUM(amount_total_signed) AS amount
                  FROM account_move
                 WHERE move_type IN ('out_invoice', 'out_refund') AND state = 'posted'
                 GROUP BY company_id, invoice_date
            ),
            sales AS (
                SELECT days.company_id, days.date, SUM(daily.amount) AS sales_90,
                       SUM(daily.amount) FILTER (WHERE daily.date > days.date - %(cei_days)s) AS sales_30
                  FROM days
                  JOIN daily_sales daily
                    ON daily.company_id = days.company_id
                   AND daily.date > days.date - %(dso_days)s
                   AND daily.date <= days.date
                 GROUP BY days.company_id, days.date
            ),
            receipts AS (
                SELECT receipt.company_id, receipt.date, SUM(receipt.amount) AS collected,
                       SUM(receipt.amount) FILTER (WHERE EXISTS(
                           SELECT 1 FROM account_collection_history handed
                            WHERE handed.partner_id = receipt.partner_id
                              AND handed.company_id = receipt.company_id
                              AND handed.did_legal AND handed.date <= receipt.date
                       )) AS recovered
                  FROM (%(receipt_lines)s) receipt
                 GROUP BY receipt.company_id, receipt.date
            ),
            -- The dispute flag is tracked: each change is a tracking value of the invoice.
            disputes AS (
                SELECT move.company_id, message.date::date AS date,
                       COUNT(*) FILTER (WHERE change.new_value_integer = 1) AS dispute_opened,
                       COUNT(*) FILTER (WHERE change.new_value_integer = 0) AS dispute_resolved,
                       AVG(message.date::date - opened.date) FILTER (WHERE change.new_value_integer = 0)
                           AS dispute_days,
                       COUNT(opened.date) FILTER (WHERE change.new_value_integer = 0) AS dispute_aged
                  FROM mail_tracking_value change
                  JOIN mail_message message ON message.id = change.mail_message_id
                  JOIN account_move move ON message.model = 'account.move' AND move.id = message.res_id
                  LEFT JOIN LATERAL (
                           SELECT earlier.date::date AS date
                             FROM mail_tracking_value opening
                             JOIN mail_message earlier ON earlier.id = opening.mail_message_id
                            WHERE opening.field_id = change.field_id AND opening.new_value_integer = 1
                              AND earlier.model = 'account.move' AND earlier.res_id = message.res_id
                              AND earlier.date <= message.date
                         ORDER BY earlier.date DESC LIMIT 1
                       ) opened ON change.new_value_integer = 0
                 WHERE change.field_id = %(dispute_field)s
                 GROUP BY move.company_id, message.date::date
            ),
            -- Promises are in their invoices' currency: the figures add them up in the
            -- company's, at the rate of the day each was agreed (amount_company); what was paid
            -- on one is converted at that same rate.
            made AS (
                SELECT company_id, date_start AS date, COUNT(*) AS promise_count,
                       SUM(amount_company) AS promised_amount
                  FROM account_collection_promise
                 WHERE state != 'cancelled'
                 GROUP BY company_id, date_start
            ),
            decided AS (
                SELECT company_id, state_date AS date,
                       COUNT(*) FILTER (WHERE state = 'kept') AS kept_count,
                       SUM(COALESCE(paid_amount, 0) * amount_company / amount)
                           FILTER (WHERE state IN ('kept', 'partial')) AS kept_amount,
                       COUNT(*) FILTER (WHERE state = 'partial') AS partial_count,
                       COUNT(*) FILTER (WHERE state = 'broken') AS broken_count,
                       SUM(amount_company - COALESCE(paid_amount, 0) * amount_company / amount)
                           FILTER (WHERE state = 'broken') AS broken_amount,
                       COUNT(*) AS decided_count,
                       COUNT(*) FILTER (WHERE state = 'kept') * 100.0 / COUNT(*) AS kept_rate
                  FROM account_collection_promise
                 WHERE state IN ('kept', 'partial', 'broken')
                 GROUP BY company_id, state_date
            ),
            legal AS (
                SELECT company_id, date, COUNT(DISTINCT partner_id) AS legal_count
                  FROM account_collection_history
                 WHERE did_legal
                 GROUP BY company_id, date
            )
            SELECT ROW_NUMBER() OVER (ORDER BY days.company_id, days.date) AS id,
                   days.date, days.company_id, days.currency_id,
                   stock.customer_count, stock.open_amount, stock.overdue_amount, stock.not_due,
                   stock.days_1_30, stock.days_31_60, stock.days_61_90, stock.days_over_90,
                   stock.hold_count, stock.disputed_amount, sales.sales_90,
                   stock.open_amount / NULLIF(sales.sales_90, 0) * %(dso_days)s AS dso,
                   stock.not_due / NULLIF(sales.sales_90, 0) * %(dso_days)s AS best_dso,
                   (before.open_amount + COALESCE(sales.sales_30, 0) - stock.open_amount)
                     / NULLIF(before.open_amount + COALESCE(sales.sales_30, 0) - stock.not_due, 0)
                     * 100 AS cei,
                   COALESCE(receipts.collected, 0) AS collected,
                   COALESCE(receipts.recovered, 0) AS recovered,
                   COALESCE(made.promise_count, 0) AS promise_count,
                   COALESCE(made.promised_amount, 0) AS promised_amount,
                   COALESCE(decided.kept_count, 0) AS kept_count,
                   COALESCE(decided.kept_amount, 0) AS kept_amount,
                   COALESCE(decided.partial_count, 0) AS partial_count,
                   COALESCE(decided.broken_count, 0) AS broken_count,
                   COALESCE(decided.broken_amount, 0) AS broken_amount,
                   COALESCE(decided.decided_count, 0) AS decided_count,
                   decided.kept_rate,
                   COALESCE(disputes.dispute_opened, 0) AS dispute_opened,
                   COALESCE(disputes.dispute_resolved, 0) AS dispute_resolved,
                   disputes.dispute_days,
                   COALESCE(disputes.dispute_aged, 0) AS dispute_aged,
                   COALESCE(legal.legal_count, 0) AS legal_count
              FROM days
              LEFT JOIN stock ON stock.company_id = days.company_id AND stock.date = days.date
              LEFT JOIN stock before
                     ON before.company_id = days.company_id AND before.date = days.date - %(cei_days)s
              LEFT JOIN sales ON sales.company_id = days.company_id AND sales.date = days.date
              LEFT JOIN receipts ON receipts.company_id = days.company_id AND receipts.date = days.date
              LEFT JOIN made ON made.company_id = days.company_id AND made.date = days.date
              LEFT JOIN decided ON decided.company_id = days.company_id AND decided.date = days.date
              LEFT JOIN legal ON legal.company_id = days.company_id AND legal.date = days.date
              LEFT JOIN disputes ON disputes.company_id = days.company_id AND disputes.date = days.date
            """,
            today=today,
            receipt_lines=receipt_lines(),
            dispute_field=self.env["ir.model.fields"]._get("account.move", "collection_disputed").id,
            dso_days=DSO_DAYS,
            cei_days=CEI_DAYS,
        )

    # ------------------------------------------------------------------
    # Drill-down: from a day's figure to its records
    # ------------------------------------------------------------------
    @api.model
    def _collection_records(self, model, domain, name, context=None):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "views": [(False, "list"), (False, "form")],
            "domain": domain,
            "context": {"create": False, **(context or {})},
        }

    def action_open_snapshots(self):
        self.ensure_one()
        return self._collection_records(
            "account.collection.snapshot",
            [("company_id", "=", self.company_id.id), ("date", "=", self.date)],
            self.env._("Receivables on %(date)s", date=format_date(self.env, self.date)),
        )

    def action_open_holds(self):
        """The customers on hold that day: their snapshots."""
        self.ensure_one()
        return self._collection_records(
            "account.collection.snapshot",
            [("company_id", "=", self.company_id.id), ("date", "=", self.date), ("on_hold", "=", True)],
            self.env._("Customers on hold on %(date)s", date=format_date(self.env, self.date)),
        )

    def action_open_sales(self):
        """The credit sales the DSO and the CEI divide by: the customer invoices and credit notes
        posted with an invoice date in the 90 days up to that day."""
        self.ensure_one()
        action = self._collection_records(
            "account.move",
            [
                ("company_id", "=", self.company_id.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
                ("invoice_date", ">", self.date - timedelta(days=DSO_DAYS)),
                ("invoice_date", "<=", self.date),
            ],
            self.env._(
                "Credit sales of the %(days)s days to %(date)s",
                days=DSO_DAYS,
                date=format_date(self.env, self.date),
            ),
        )
        # The list whose total is in the company's currency (credit notes negative): it adds up
        # to the figure (the invoices' own list totals each document's currency).
        action["views"] = [(self.env.ref("account.view_move_tree").id, "list"), (False, "form")]
        return action

    @api.model
    def _collection_receipts_domain(self, company, day):
        """The money collected on `day`, in the ORM's terms (``receipt_lines`` in SQL)."""
        return [
            ("company_id", "=", company.id),
            ("date", "=", day),
            ("account_id.account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("move_id.move_type", "=", "entry"),
            "|",
            ("move_id.origin_payment_id", "!=", False),
            ("move_id.statement_line_id", "!=", False),
            ("balance", "<", 0),
        ]

    def action_open_receipts(self):
        self.ensure_one()
        return self._collection_records(
            "account.move.line",
            self._collection_receipts_domain(self.company_id, self.date),
            self.env._("Collected on %(date)s", date=format_date(self.env, self.date)),
        )

    def action_open_recovered(self):
        """The payments counted as recovered that day: those of customers handed to lawyers on
        that day or before (the figure's rule)."""
        self.ensure_one()
        handed = self.env["account.collection.history"]._read_group(
            [("company_id", "=", self.company_id.id), ("did_legal", "=", True), ("date", "<=", self.date)],
            ["partner_id"],
        )
        return self._collection_records(
            "account.move.line",
            [
                *self._collection_receipts_domain(self.company_id, self.date),
                ("partner_id.commercial_partner_id", "in", [partner.id for (partner,) in handed]),
            ],
            self.env._("Recovered after the hand-over on %(date)s", date=format_date(self.env, self.date)),
        )

    def action_open_promises(self):
        self.ensure_one()
        return self._collection_records(
            "account.collection.promise",
            [
                ("company_id", "=", self.company_id.id),
                "|",
                ("date_start", "=", self.date),
                ("state_date", "=", self.date),
            ],
            self.env._("Promises made or decided on %(date)s", date=format_date(self.env, self.date)),
        )

    def action_open_disputes(self):
        """The invoices disputed that day (the figure's source: the tracked dispute flag)."""
        return self._collection_disputes(opened=True)

    def action_open_resolved_disputes(self):
        """The invoices whose dispute was resolved that day."""
        return self._collection_disputes(opened=False)

    def _collection_disputes(self, opened):
        self.ensure_one()
        self.env["mail.tracking.value"].flush_model()
        self.env["mail.message"].flush_model(["model", "res_id", "date"])
        move_ids = [
            move_id
            for (move_id,) in self.env.execute_query(
                SQL(
                    """
                    SELECT DISTINCT message.res_id
                      FROM mail_tracking_value change
                      JOIN mail_message message ON message.id = change.mail_message_id
                      JOIN account_move move ON move.id = message.res_id
                     WHERE message.model = 'account.move' AND change.field_id = %s
                       AND change.new_value_integer = %s
                       AND message.date::date = %s AND move.company_id = %s
                    """,
                    self.env["ir.model.fields"]._get("account.move", "collection_disputed").id,
                    int(opened),
                    self.date,
                    self.company_id.id,
                )
            )
        ]
        return self._collection_records(
            "account.move",
            [("id", "in", move_ids)],
            self.env._("Disputes opened on %(date)s", date=format_date(self.env, self.date))
            if opened
            else self.env._("Disputes resolved on %(date)s", date=format_date(self.env, self.date)),
            # The invoices' list shows its Customer and Invoice Date columns for customer invoices.
            context={"default_move_type": "out_invoice"},
        )

    def action_open_handovers(self):
        self.ensure_one()
        return self._collection_records(
            "account.collection.history",
            [("company_id", "=", self.company_id.id), ("date", "=", self.date), ("did_legal", "=", True)],
            self.env._("Handed to lawyers on %(date)s", date=format_date(self.env, self.date)),
        )


class AccountCollectionCollectorKpi(models.Model):
    """Per collector and day: the portfolio (from the snapshots), calls logged, promises taken and
    kept, and what the portfolio's customers paid."""

    _name = "account.collection.collector.kpi"
    _description = "Collector Figures"
    _auto = False
    _order = "date desc"

    date = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    user_id = fields.Many2one("res.users", string="Collector", readonly=True)
    customer_count = fields.Integer(string="Customers", aggregator="avg", readonly=True)
    overdue_amount = fields.Monetary(string="Overdue", aggregator="avg", readonly=True)
    call_count = fields.Integer(string="Calls Logged", readonly=True)
    open_call_count = fields.Integer(
        string="Calls Planned, Not Done",
        readonly=True,
        help="Collection calls planned for the day, still open.",
    )
    overdue_call_count = fields.Integer(
        string="Calls Overdue",
        readonly=True,
        help="Calls planned for the day, still open, the day being past.",
    )
    review_count = fields.Integer(string="Calls to Review", readonly=True)
    rating = fields.Float(
        string="Review Rating",
        digits=(16, 1),
        aggregator="avg",
        readonly=True,
        help="1 (poor) to 5 (excellent); over a week or month, the average of the calls rated in it.",
    )
    rated_count = fields.Integer(
        string="Calls Rated", readonly=True, help="Calls with a review rating (the rating's weight)."
    )
    promise_count = fields.Integer(string="Promises Made", readonly=True)
    promised_amount = fields.Monetary(readonly=True)
    kept_count = fields.Integer(string="Promises Kept", readonly=True)
    broken_count = fields.Integer(string="Promises Broken", readonly=True)
    decided_count = fields.Integer(
        string="Promises Decided", readonly=True, help="Promises kept, partly kept or broken."
    )
    kept_rate = fields.Float(
        string="Kept Rate (%)",
        digits=(16, 1),
        aggregator="avg",
        readonly=True,
        help="Promises kept among those decided (kept, partly kept or broken) that day, or over "
        "the week or month shown.",
    )
    collected = fields.Monetary(string="Collected in Portfolio", readonly=True)

    @api.depends("user_id", "date")
    def _compute_display_name(self):
        for row in self:
            row.display_name = f"{row.user_id.name}, {format_date(self.env, row.date)}"

    def _read_group_select(self, aggregate_spec, query):
        select = kept_rate_select(self, aggregate_spec, query)
        if select is None:
            # The portfolio, a stock: the collectors' (and companies') total, averaged over days.
            select = stock_select(self, aggregate_spec, query, ("customer_count", "overdue_amount"))
        if select is not None:
            return select
        if aggregate_spec == "rating:avg":
            # Every rated call weighs the same: a day with one rated call does not weigh as much
            # as a day with ten.
            return weighted_avg_select(self, "rating", "rated_count", query)
        return super()._read_group_select(aggregate_spec, query)

    @property
    def _table_query(self):
        return SQL(
            """
            WITH open_calls AS (
                -- The call's company; a call planned by hand, the collector's company.
                SELECT COALESCE(activity.collection_company_id, users.company_id) AS company_id,
                       activity.user_id, activity.date_deadline AS date,
                       COUNT(*) AS open_call_count,
                       COUNT(*) FILTER (WHERE activity.date_deadline < %(today)s) AS overdue_call_count
                  FROM mail_activity activity
                  JOIN res_users users ON users.id = activity.user_id
                 WHERE activity.activity_type_id = %(call_type)s
                   AND activity.res_model = 'res.partner'
                   AND activity.active
                 GROUP BY 1, activity.user_id, activity.date_deadline
            ),
            -- A payment counts for the collector whose portfolio held the customer when it
            -- paid: its last snapshot up to that day (one who paid everything has none that day).
            paid AS (
                SELECT receipt.company_id, snap.user_id, receipt.date, SUM(receipt.amount) AS collected
                  FROM (%(receipt_lines)s) receipt
                  JOIN LATERAL (
                           SELECT held.user_id FROM account_collection_snapshot held
                            WHERE held.partner_id = receipt.partner_id
                              AND held.company_id = receipt.company_id AND held.date <= receipt.date
                         ORDER BY held.date DESC LIMIT 1
                       ) snap ON TRUE
                 GROUP BY receipt.company_id, snap.user_id, receipt.date
            ),
            keys AS (
                SELECT company_id, user_id, date FROM open_calls
                 UNION
                SELECT company_id, user_id, date FROM paid
                 UNION
                SELECT company_id, user_id, date FROM account_collection_snapshot WHERE user_id IS NOT NULL
                 UNION
                SELECT company_id, user_id, date::date FROM account_collection_call
                 UNION
                SELECT company_id, user_id, date_start FROM account_collection_promise
                 WHERE user_id IS NOT NULL
                 UNION
                SELECT company_id, user_id, state_date FROM account_collection_promise
                 WHERE user_id IS NOT NULL AND state_date IS NOT NULL
            ),
            portfolio AS (
                SELECT company_id, user_id, date, COUNT(*) AS customer_count,
                       SUM(overdue_amount) AS overdue_amount
                  FROM account_collection_snapshot
                 GROUP BY company_id, user_id, date
            ),
            calls AS (
                SELECT company_id, user_id, date::date AS date, COUNT(*) AS call_count,
                       COUNT(*) FILTER (WHERE review_state = 'to_review') AS review_count,
                       AVG(review_rating::int) FILTER (WHERE review_rating IS NOT NULL) AS rating,
                       COUNT(review_rating) AS rated_count
                  FROM account_collection_call
                 GROUP BY company_id, user_id, date::date
            ),
            made AS (
                -- In the company's currency, as in the company figures.
                SELECT company_id, user_id, date_start AS date, COUNT(*) AS promise_count,
                       SUM(amount_company) AS promised_amount
                  FROM account_collection_promise
                 WHERE state != 'cancelled'
                 GROUP BY company_id, user_id, date_start
            ),
            decided AS (
                SELECT company_id, user_id, state_date AS date,
                       COUNT(*) FILTER (WHERE state = 'kept') AS kept_count,
                       COUNT(*) FILTER (WHERE state = 'broken') AS broken_count,
                       COUNT(*) AS decided_count,
                       COUNT(*) FILTER (WHERE state = 'kept') * 100.0 / COUNT(*) AS kept_rate
                  FROM account_collection_promise
                 WHERE state IN ('kept', 'partial', 'broken')
                 GROUP BY company_id, user_id, state_date
            )
            SELECT ROW_NUMBER() OVER (ORDER BY keys.company_id, keys.user_id, keys.date) AS id,
                   keys.date, keys.company_id, company.currency_id, keys.user_id,
                   portfolio.customer_count, portfolio.overdue_amount,
                   COALESCE(calls.call_count, 0) AS call_count,
                   COALESCE(open_calls.open_call_count, 0) AS open_call_count,
                   COALESCE(open_calls.overdue_call_count, 0) AS overdue_call_count,
                   COALESCE(calls.review_count, 0) AS review_count,
                   calls.rating,
                   COALESCE(calls.rated_count, 0) AS rated_count,
                   COALESCE(made.promise_count, 0) AS promise_count,
                   COALESCE(made.promised_amount, 0) AS promised_amount,
                   COALESCE(decided.kept_count, 0) AS kept_count,
                   COALESCE(decided.broken_count, 0) AS broken_count,
                   COALESCE(decided.decided_count, 0) AS decided_count,
                   decided.kept_rate,
                   COALESCE(paid.collected, 0) AS collected
              FROM keys
              JOIN res_company company ON company.id = keys.company_id
              LEFT JOIN portfolio USING (company_id, user_id, date)
              LEFT JOIN calls USING (company_id, user_id, date)
              LEFT JOIN made USING (company_id, user_id, date)
              LEFT JOIN decided USING (company_id, user_id, date)
              LEFT JOIN paid USING (company_id, user_id, date)
              LEFT JOIN open_calls USING (company_id, user_id, date)
            """,
            today=fields.Date.context_today(self),
            call_type=self.env.ref(CALL_TYPE).id,
            receipt_lines=receipt_lines(),
        )

    def action_open_receipts(self):
        """What the collector's portfolio paid that day: the payments of the customers whose last
        snapshot up to that day was the collector's (the figure's own rule)."""
        self.ensure_one()
        self.env["account.collection.snapshot"].flush_model()
        mine = [
            partner_id
            for (partner_id,) in self.env.execute_query(
                SQL(
                    """
                    SELECT partner_id
                      FROM (SELECT DISTINCT ON (partner_id) partner_id, user_id
                              FROM account_collection_snapshot
                             WHERE company_id = %(company)s AND date <= %(day)s
                          ORDER BY partner_id, date DESC) held
                     WHERE user_id = %(user)s
                    """,
                    company=self.company_id.id,
                    day=self.date,
                    user=self.user_id.id,
                )
            )
        ]
        Kpi = self.env["account.collection.kpi"]
        return Kpi._collection_records(
            "account.move.line",
            [
                *Kpi._collection_receipts_domain(self.company_id, self.date),
                ("partner_id.commercial_partner_id", "in", mine),
            ],
            self.env._(
                "Collected from %(user)s's customers on %(date)s",
                user=self.user_id.name,
                date=format_date(self.env, self.date),
            ),
        )

    def action_open_portfolio(self):
        self.ensure_one()
        return self.env["account.collection.kpi"]._collection_records(
            "account.collection.snapshot",
            [
                ("company_id", "=", self.company_id.id),
                ("date", "=", self.date),
                ("user_id", "=", self.user_id.id),
            ],
            self.env._(
                "%(user)s's customers on %(date)s",
                user=self.user_id.name,
                date=format_date(self.env, self.date),
            ),
        )

    def action_open_calls(self):
        self.ensure_one()
        start = datetime.combine(self.date, time.min)
        return self.env["account.collection.kpi"]._collection_records(
            "account.collection.call",
            [
                ("company_id", "=", self.company_id.id),
                ("user_id", "=", self.user_id.id),
                ("date", ">=", start),
                ("date", "<", start + timedelta(days=1)),
            ],
            self.env._(
                "%(user)s's calls on %(date)s", user=self.user_id.name, date=format_date(self.env, self.date)
            ),
        )

    def _collection_planned_calls(self, overdue):
        """The calls planned for the collector that day and still open (with `overdue`, only
        if the day is past): the figure's rule, the call's company or else the collector's."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        domain = [
            ("activity_type_id", "=", self.env.ref(CALL_TYPE).id),
            ("res_model", "=", "res.partner"),
            ("user_id", "=", self.user_id.id),
            ("date_deadline", "=", self.date),
            "|",
            ("collection_company_id", "=", self.company_id.id),
            "&",
            ("collection_company_id", "=", False),
            ("user_id.company_id", "=", self.company_id.id),
        ]
        if overdue:
            domain.append(("date_deadline", "<", today))
        values = {"user": self.user_id.name, "date": format_date(self.env, self.date)}
        return self.env["account.collection.kpi"]._collection_records(
            "mail.activity",
            domain,
            self.env._("%(user)s's overdue calls of %(date)s", **values)
            if overdue
            else self.env._("%(user)s's open calls of %(date)s", **values),
        )

    def action_open_planned_calls(self):
        """The calls planned for the day and still open."""
        return self._collection_planned_calls(overdue=False)

    def action_open_overdue_calls(self):
        """The calls planned for the day, still open, the day being past."""
        return self._collection_planned_calls(overdue=True)

    def action_open_outcomes(self):
        """What the calls of these rows came to: the calls each collector logged on the rows'
        days (one day from a form, the days selected in the list), grouped by outcome."""
        domains = []
        for (company, user), rows in self.grouped(lambda row: (row.company_id, row.user_id)).items():
            for first, last in day_ranges(rows.mapped("date")):
                domains.append(
                    [
                        ("company_id", "=", company.id),
                        ("user_id", "=", user.id),
                        ("date", ">=", datetime.combine(first, time.min)),
                        ("date", "<", datetime.combine(last + timedelta(days=1), time.min)),
                    ]
                )
        days = self.mapped("date")
        if not days:
            title = self.env._("Call outcomes")
        elif min(days) == max(days):
            title = self.env._("Call outcomes, %(date)s", date=format_date(self.env, days[0]))
        else:
            title = self.env._(
                "Call outcomes, %(first)s to %(last)s",
                first=format_date(self.env, min(days)),
                last=format_date(self.env, max(days)),
            )
        return self.env["account.collection.kpi"]._collection_records(
            "account.collection.call",
            list(Domain.OR(domains)),
            title,
            {"group_by": ["outcome_id"]},
        )

    def action_open_promises(self):
        self.ensure_one()
        return self.env["account.collection.kpi"]._collection_records(
            "account.collection.promise",
            [
                ("company_id", "=", self.company_id.id),
                ("user_id", "=", self.user_id.id),
                "|",
                ("date_start", "=", self.date),
                ("state_date", "=", self.date),
            ],
            self.env._(
                "%(user)s's promises made or decided on %(date)s",
                user=self.user_id.name,
                date=format_date(self.env, self.date),
            ),
        )
