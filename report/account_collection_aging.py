from odoo import fields, models, tools
from odoo.tools import SQL

BUCKETS = [
    ("0_not_due", "Not due"),
    ("1_30", "1-30"),
    ("31_60", "31-60"),
    ("61_90", "61-90"),
    ("91_plus", "Over 90"),
]


class AccountCollectionAging(models.Model):
    """Open receivable items by age, for the managers' aging pivot per customer and collector."""

    _name = "account.collection.aging"
    _description = "Receivable Aging"
    _auto = False
    _order = "date_maturity"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    collector_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    move_id = fields.Many2one("account.move", string="Document", readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(readonly=True, aggregator="max")
    bucket = fields.Selection(BUCKETS, readonly=True)
    residual = fields.Monetary(string="Open Amount", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    SELECT aml.id, aml.partner_id, partner.user_id AS collector_id, aml.company_id,
                           company.currency_id, aml.move_id, aml.date_maturity,
                           GREATEST(CURRENT_DATE - aml.date_maturity, 0) AS days_overdue,
                           CASE WHEN aml.date_maturity >= CURRENT_DATE THEN '0_not_due'
                                WHEN CURRENT_DATE - aml.date_maturity <= 30 THEN '1_30'
                                WHEN CURRENT_DATE - aml.date_maturity <= 60 THEN '31_60'
                                WHEN CURRENT_DATE - aml.date_maturity <= 90 THEN '61_90'
                                ELSE '91_plus' END AS bucket,
                           aml.amount_residual AS residual
                      FROM account_move_line aml
                      JOIN account_account account ON account.id = aml.account_id
                      JOIN res_company company ON company.id = aml.company_id
                 LEFT JOIN res_partner partner ON partner.id = aml.partner_id
                     WHERE account.account_type = 'asset_receivable' AND aml.parent_state = 'posted'
                       AND NOT aml.reconciled AND aml.amount_residual != 0
                )
                """,
                SQL.identifier(self._table),
            )
        )
