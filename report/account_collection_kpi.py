"""The managers' collection figures, one row per company (and collector) and day.

Stocks (what was owed, DSO, CEI) come from the daily snapshots, so a trend shows what was true
on each day; flows (money collected, promises, hand-overs) from the documents of the day.
Grouped by week or month, stocks are averaged over the days and flows added up.

Definitions (README, *Manager's figures*):
- DSO = open receivable / credit sales of the last 90 days x 90 (the standard "sales method");
- best possible DSO = receivable not yet due / the same sales x 90;
- CEI = (receivable 30 days before + credit sales of the 30 days - receivable today)
  / (receivable 30 days before + credit sales of the 30 days - receivable not yet due today) x 100.
"""

from odoo import fields, models
from odoo.tools import SQL

DSO_DAYS = 90
CEI_DAYS = 30


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
    sales_90 = fields.Monetary(string="Credit Sales (90 days)", aggregator="avg", readonly=True)
    dso = fields.Float(string="DSO", digits=(16, 1), aggregator="avg", readonly=True)
    best_dso = fields.Float(string="Best Possible DSO", digits=(16, 1), aggregator="avg", readonly=True)
    cei = fields.Float(string="CEI (%)", digits=(16, 1), aggregator="avg", readonly=True)
    collected = fields.Monetary(readonly=True, help="Customer payments received.")
    promise_count = fields.Integer(string="Promises Made", readonly=True)
    promised_amount = fields.Monetary(readonly=True)
    kept_count = fields.Integer(string="Promises Kept", readonly=True)
    partial_count = fields.Integer(string="Promises Partly Kept", readonly=True)
    broken_count = fields.Integer(string="Promises Broken", readonly=True)
    broken_amount = fields.Monetary(string="Amount Broken", readonly=True)
    legal_count = fields.Integer(string="Handed to Lawyers", readonly=True)

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
                       COUNT(*) FILTER (WHERE on_hold) AS hold_count
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
                SELECT aml.company_id, aml.date, -SUM(aml.balance) AS collected
                  FROM account_move_line aml
                  JOIN account_account account ON account.id = aml.account_id
                  JOIN account_move move ON move.id = aml.move_id
                 WHERE account.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND move.move_type = 'entry'
                   AND aml.balance < 0
                 GROUP BY aml.company_id, aml.date
            ),
            made AS (
                SELECT company_id, date_start AS date, COUNT(*) AS promise_count,
                       SUM(amount) AS promised_amount
                  FROM account_collection_promise
                 WHERE state != 'cancelled'
                 GROUP BY company_id, date_start
            ),
            decided AS (
                SELECT company_id, state_date AS date,
                       COUNT(*) FILTER (WHERE state = 'kept') AS kept_count,
                       COUNT(*) FILTER (WHERE state = 'partial') AS partial_count,
                       COUNT(*) FILTER (WHERE state = 'broken') AS broken_count,
                       SUM(amount - COALESCE(paid_amount, 0)) FILTER (WHERE state = 'broken') AS broken_amount
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
                   stock.hold_count, sales.sales_90,
                   stock.open_amount / NULLIF(sales.sales_90, 0) * %(dso_days)s AS dso,
                   stock.not_due / NULLIF(sales.sales_90, 0) * %(dso_days)s AS best_dso,
                   (before.open_amount + COALESCE(sales.sales_30, 0) - stock.open_amount)
                     / NULLIF(before.open_amount + COALESCE(sales.sales_30, 0) - stock.not_due, 0)
                     * 100 AS cei,
                   COALESCE(receipts.collected, 0) AS collected,
                   COALESCE(made.promise_count, 0) AS promise_count,
                   COALESCE(made.promised_amount, 0) AS promised_amount,
                   COALESCE(decided.kept_count, 0) AS kept_count,
                   COALESCE(decided.partial_count, 0) AS partial_count,
                   COALESCE(decided.broken_count, 0) AS broken_count,
                   COALESCE(decided.broken_amount, 0) AS broken_amount,
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
            """,
            today=today,
            dso_days=DSO_DAYS,
            cei_days=CEI_DAYS,
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
    review_count = fields.Integer(string="Calls to Review", readonly=True)
    promise_count = fields.Integer(string="Promises Made", readonly=True)
    promised_amount = fields.Monetary(readonly=True)
    kept_count = fields.Integer(string="Promises Kept", readonly=True)
    broken_count = fields.Integer(string="Promises Broken", readonly=True)
    collected = fields.Monetary(string="Collected in Portfolio", readonly=True)

    @property
    def _table_query(self):
        return SQL(
            """
            WITH keys AS (
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
                       COUNT(*) FILTER (WHERE review_state = 'to_review') AS review_count
                  FROM account_collection_call
                 GROUP BY company_id, user_id, date::date
            ),
            made AS (
                SELECT company_id, user_id, date_start AS date, COUNT(*) AS promise_count,
                       SUM(amount) AS promised_amount
                  FROM account_collection_promise
                 WHERE state != 'cancelled'
                 GROUP BY company_id, user_id, date_start
            ),
            decided AS (
                SELECT company_id, user_id, state_date AS date,
                       COUNT(*) FILTER (WHERE state = 'kept') AS kept_count,
                       COUNT(*) FILTER (WHERE state = 'broken') AS broken_count
                  FROM account_collection_promise
                 WHERE state IN ('kept', 'partial', 'broken')
                 GROUP BY company_id, user_id, state_date
            ),
            -- A payment counts for the collector whose portfolio held the customer that day.
            paid AS (
                SELECT snap.company_id, snap.user_id, aml.date, -SUM(aml.balance) AS collected
                  FROM account_move_line aml
                  JOIN account_account account ON account.id = aml.account_id
                  JOIN account_move move ON move.id = aml.move_id
                  JOIN res_partner customer ON customer.id = aml.partner_id
                  JOIN account_collection_snapshot snap
                    ON snap.partner_id = customer.commercial_partner_id
                   AND snap.company_id = aml.company_id AND snap.date = aml.date
                 WHERE account.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND move.move_type = 'entry'
                   AND aml.balance < 0
                 GROUP BY snap.company_id, snap.user_id, aml.date
            )
            SELECT ROW_NUMBER() OVER (ORDER BY keys.company_id, keys.user_id, keys.date) AS id,
                   keys.date, keys.company_id, company.currency_id, keys.user_id,
                   portfolio.customer_count, portfolio.overdue_amount,
                   COALESCE(calls.call_count, 0) AS call_count,
                   COALESCE(calls.review_count, 0) AS review_count,
                   COALESCE(made.promise_count, 0) AS promise_count,
                   COALESCE(made.promised_amount, 0) AS promised_amount,
                   COALESCE(decided.kept_count, 0) AS kept_count,
                   COALESCE(decided.broken_count, 0) AS broken_count,
                   COALESCE(paid.collected, 0) AS collected
              FROM keys
              JOIN res_company company ON company.id = keys.company_id
              LEFT JOIN portfolio USING (company_id, user_id, date)
              LEFT JOIN calls USING (company_id, user_id, date)
              LEFT JOIN made USING (company_id, user_id, date)
              LEFT JOIN decided USING (company_id, user_id, date)
              LEFT JOIN paid USING (company_id, user_id, date)
            """
        )
