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

    _depends = {
        "account.move.line": [
            "partner_id",
            "company_id",
            "move_id",
            "date_maturity",
            "amount_residual",
            "reconciled",
            "parent_state",
            "account_id",
        ],
    }

    @property
    def _table_query(self):
        # Ages count to the user's today, given to the query: the database's CURRENT_DATE
        # knows neither the user's time zone nor a frozen clock.
        return SQL(
            """
            SELECT aml.id, aml.partner_id, partner.user_id AS collector_id, aml.company_id,
                   company.currency_id, aml.move_id, aml.date_maturity,
                   GREATEST(%(today)s::date - aml.date_maturity, 0) AS days_overdue,
                   CASE WHEN aml.date_maturity >= %(today)s THEN '0_not_due'
                        WHEN %(today)s::date - aml.date_maturity <= 30 THEN '1_30'
                        WHEN %(today)s::date - aml.date_maturity <= 60 THEN '31_60'
                        WHEN %(today)s::date - aml.date_maturity <= 90 THEN '61_90'
                        ELSE '91_plus' END AS bucket,
                   aml.amount_residual AS residual
              FROM account_move_line aml
              JOIN account_account account ON account.id = aml.account_id
              JOIN res_company company ON company.id = aml.company_id
         LEFT JOIN res_partner partner ON partner.id = aml.partner_id
             WHERE account.account_type = 'asset_receivable' AND aml.parent_state = 'posted'
               AND NOT aml.reconciled AND aml.amount_residual != 0
            """,
            today=fields.Date.context_today(self),
        )

    def init(self):
        # Earlier versions kept this as a database view.
        tools.drop_view_if_exists(self.env.cr, self._table)
