"""A daily snapshot of each customer's receivables: the real history the managers' trends read.

Aging recomputed today cannot say what was overdue last month (payments, credit notes and
write-offs have changed the items since). A scheduled job writes, once a day and per company,
one row per customer with open items: open amount, overdue amount and days, the aging buckets,
the collector and whether the customer was on hold, with the same rule as the customer's credit
tab (``res.partner._collection_exposure_columns``).
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

# Snapshot column: the exposure field (res_partner.EXPOSURE_FIELDS) it copies.
SNAPSHOT_COLUMNS = {
    "open_amount": "collection_open_amount",
    "overdue_amount": "collection_overdue_amount",
    "overdue_days": "collection_overdue_days",
    "not_due": "collection_aging_not_due",
    "days_1_30": "collection_aging_1_30",
    "days_31_60": "collection_aging_31_60",
    "days_61_90": "collection_aging_61_90",
    "days_over_90": "collection_aging_over_90",
}


class AccountCollectionSnapshot(models.Model):
    _name = "account.collection.snapshot"
    _description = "Receivables Snapshot"
    _order = "date desc, partner_id"
    # Written in bulk by SQL, never edited: the row's date says when it was true.
    _log_access = False

    date = fields.Date(required=True, index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    user_id = fields.Many2one("res.users", string="Collector", index=True, readonly=True)
    open_amount = fields.Monetary(readonly=True, help="Open receivable, unmatched credits deducted.")
    overdue_amount = fields.Monetary(readonly=True, help="Overdue items, unmatched credits deducted.")
    overdue_days = fields.Integer(string="Days Overdue", aggregator="max", readonly=True)
    not_due = fields.Monetary(readonly=True)
    days_1_30 = fields.Monetary(string="1-30 Days", readonly=True)
    days_31_60 = fields.Monetary(string="31-60 Days", readonly=True)
    days_61_90 = fields.Monetary(string="61-90 Days", readonly=True)
    days_over_90 = fields.Monetary(string="Over 90 Days", readonly=True)
    disputed_amount = fields.Monetary(
        string="Disputed", readonly=True, help="Open items of disputed invoices."
    )
    on_hold = fields.Boolean(readonly=True)

    _date_partner_unique = models.Constraint(
        "UNIQUE(date, company_id, partner_id)", "One snapshot per customer, company and day."
    )
    # A customer's snapshots by date: who held it when it paid (the collector figures).
    _partner_company_date_idx = models.Index("(partner_id, company_id, date)")

    @api.model
    def _cron_collection_snapshot(self):
        """Today's snapshot of every company, and the old ones past their retention. Each
        company's is committed when the scheduler runs the job; called from elsewhere (a shell,
        a test), the caller's transaction decides."""
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        for company in self.env["res.company"].sudo().search([], limit=None):
            self.with_company(company)._collection_take(company, fields.Date.context_today(self))
            if in_cron:
                self.env["ir.cron"]._commit_progress(1)

    @api.model
    def _collection_take(self, company, day):
        """Write `company`'s snapshot of `day` (again, if it was taken already): one aggregate
        over the open items, the customers' collectors and holds read in batch, one INSERT."""
        Partner = self.env["res.partner"].sudo().with_company(company)
        columns = Partner.with_company(company)._collection_exposure_columns(day)
        names = [*SNAPSHOT_COLUMNS, "disputed_amount"]
        columns = {
            **{name: columns[exposure] for name, exposure in SNAPSHOT_COLUMNS.items()},
            "disputed_amount": SQL(
                """COALESCE(SUM(aml.amount_residual) FILTER (WHERE EXISTS(
                       SELECT 1 FROM account_move move
                        WHERE move.id = aml.move_id AND move.collection_disputed
                   )), 0)"""
            ),
        }
        self.env["account.move"].flush_model(["collection_disputed"])
        Partner._collection_flush_open_items()
        self.env["account.move.line"].flush_model(["date_maturity"])
        rows = self.env.execute_query(
            SQL(
                "SELECT customer.commercial_partner_id, %s %s GROUP BY customer.commercial_partner_id",
                SQL(", ").join(columns[name] for name in names),
                Partner.with_company(company)._collection_open_items_sql(SQL("TRUE")),
            )
        )
        partners = Partner.browse([row[0] for row in rows])
        on_hold = set(partners.filtered(lambda p: p.collection_credit_status == "hold").ids)
        collectors = {partner.id: partner._collection_collector().id for partner in partners}
        self.env.execute_query(
            SQL(
                "DELETE FROM account_collection_snapshot WHERE company_id = %s AND date = %s",
                company.id,
                day,
            )
        )
        if rows:
            values = list(zip(*rows, strict=True))
            self.env.execute_query(
                SQL(
                    """
                    INSERT INTO account_collection_snapshot
                           (date, company_id, partner_id, user_id, on_hold, %s)
                    SELECT %s, %s, partner_id, user_id, on_hold, %s
                      FROM unnest(%s::int[], %s::int[], %s::bool[], %s)
                           AS new(partner_id, user_id, on_hold, %s)
                    """,
                    SQL(", ").join(SQL.identifier(name) for name in names),
                    day,
                    company.id,
                    SQL(", ").join(SQL.identifier(name) for name in names),
                    list(values[0]),
                    [collectors[partner_id] for partner_id in values[0]],
                    [partner_id in on_hold for partner_id in values[0]],
                    SQL(", ").join(
                        SQL("%s::%s[]", list(column), SQL("int" if name == "overdue_days" else "numeric"))
                        for name, column in zip(names, values[1:], strict=True)
                    ),
                    SQL(", ").join(SQL.identifier(name) for name in names),
                )
            )
        retention = company.sudo().collection_snapshot_retention_days
        if retention:
            self.env.execute_query(
                SQL(
                    "DELETE FROM account_collection_snapshot WHERE company_id = %s AND date < %s",
                    company.id,
                    day - timedelta(days=retention),
                )
            )
        self.invalidate_model()
        return len(rows)
