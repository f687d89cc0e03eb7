from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..models.res_partner import BROKEN_PROMISE_DAYS


class AccountCollectionWorklist(models.Model):
    """The collector's day: one row per open collection call, with what to know before dialling.

    A query, so the list sorts and filters on every column (priority first) without
    computing anything per customer in Python. Days overdue count to the user's today, passed
    to the query (never the database server's CURRENT_DATE, which knows no time zone and no
    frozen clock).
    """

    _name = "account.collection.worklist"
    _description = "Collection Worklist"
    _auto = False
    _order = "priority desc, call_at, id"

    activity_id = fields.Many2one("mail.activity", string="Planned Call", readonly=True)
    name = fields.Char(compute="_compute_name", string="Call")
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Collector", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    summary = fields.Char(readonly=True)
    date_deadline = fields.Date(string="Due", readonly=True)
    call_at = fields.Datetime(readonly=True)
    open_amount = fields.Monetary(readonly=True)
    overdue_amount = fields.Monetary(readonly=True)
    overdue_days = fields.Integer(readonly=True)
    priority = fields.Float(
        readonly=True,
        help="Overdue amount x days overdue, times (1 + broken promises of the last 90 days), times "
        "(1 + average days late over the last 12 months / 30). Why: see the row's reasons.",
    )
    days_late = fields.Float(
        string="Pays Late (days)",
        readonly=True,
        digits=(16, 0),
        help="Average days between due date and payment of the items paid in the last 12 months.",
    )
    disputed_count = fields.Integer(string="Disputed", readonly=True)
    # Text, one reason a line: the list wraps it where a Char column would cut it short.
    priority_reasons = fields.Text(string="Why", compute="_compute_priority_reasons")
    phone = fields.Char(related="partner_id.phone")
    email = fields.Char(related="partner_id.email")
    broken_promises = fields.Integer(readonly=True)
    open_promise_amount = fields.Monetary(string="Open Promise", readonly=True)
    level_id = fields.Many2one("account.collection.ladder.level", readonly=True)
    next_date = fields.Date(string="Next Step", readonly=True)
    last_outcome_id = fields.Many2one("account.collection.outcome", readonly=True)

    _depends = {
        "mail.activity": [
            "res_model",
            "res_id",
            "user_id",
            "summary",
            "date_deadline",
            "active",
            "collection_call_time",
        ],
        "account.move": ["collection_disputed", "state"],
        "account.move.line": [
            "partner_id",
            "company_id",
            "amount_residual",
            "date_maturity",
            "reconciled",
            "collection_item_id",
        ],
        "account.collection.item": ["level_id", "level_sequence", "next_date"],
        "res.partner": ["commercial_partner_id", "tz"],
        "res.company": ["collection_calendar_id", "resource_calendar_id"],
        "resource.calendar": ["tz"],
        "account.collection.promise": ["state", "state_date", "amount"],
        "account.partial.reconcile": ["max_date", "debit_move_id"],
        "account.collection.call": ["outcome_id", "date"],
    }

    _rec_name = "name"

    def _compute_priority_reasons(self):
        amount_text = self.env["res.partner"]._collection_formatters()[1]
        for row in self:
            reasons = []
            if row.overdue_amount:
                amount = amount_text(row.currency_id, row.overdue_amount)
                reasons.append(
                    self.env._("%(amount)s overdue for 1 day", amount=amount)
                    if row.overdue_days == 1
                    else self.env._(
                        "%(amount)s overdue for %(days)s days", amount=amount, days=row.overdue_days
                    )
                )
            if row.broken_promises:
                reasons.append(
                    self.env._("1 broken promise")
                    if row.broken_promises == 1
                    else self.env._("%(count)s broken promises", count=row.broken_promises)
                )
            if row.days_late >= 1:
                days_late = round(row.days_late)
                reasons.append(
                    self.env._("pays 1 day late on average")
                    if days_late == 1
                    else self.env._("pays %(days)s days late on average", days=days_late)
                )
            if row.disputed_count:
                reasons.append(self.env._("%(count)s disputed", count=row.disputed_count))
            row.priority_reasons = "\n".join(reasons)

    @api.depends("partner_id", "summary")
    def _compute_name(self):
        # Calendar events and breadcrumbs read "Customer: summary", not the model and id.
        for row in self:
            row.name = (
                f"{row.partner_id.display_name}: {row.summary}"
                if row.summary
                else row.partner_id.display_name
            )

    @property
    def _table_query(self):
        today = fields.Date.context_today(self)
        return SQL(
            """
            WITH debt AS (
                SELECT customer.commercial_partner_id AS partner_id, aml.company_id,
                       SUM(aml.amount_residual) AS open_amount,
                       GREATEST(SUM(aml.amount_residual) FILTER (
                           WHERE aml.amount_residual < 0 OR aml.date_maturity < %(today)s
                       ), 0) AS overdue_amount,
                       COALESCE(MAX(%(today)s::date - aml.date_maturity) FILTER (
                           WHERE aml.amount_residual > 0 AND aml.date_maturity < %(today)s
                       ), 0) AS overdue_days
                  FROM account_move_line aml
                  JOIN account_account account ON account.id = aml.account_id
                  JOIN res_partner customer ON customer.id = aml.partner_id
                 WHERE account.account_type = 'asset_receivable' AND aml.parent_state = 'posted'
                   AND NOT aml.reconciled AND aml.amount_residual != 0
              GROUP BY customer.commercial_partner_id, aml.company_id
            ), ladder AS (
                SELECT DISTINCT ON (customer.commercial_partner_id, aml.company_id)
                       customer.commercial_partner_id AS partner_id, aml.company_id,
                       item.level_id
                  FROM account_move_line aml
                  JOIN account_collection_item item ON item.id = aml.collection_item_id
                  JOIN res_partner customer ON customer.id = aml.partner_id
                 WHERE item.level_id IS NOT NULL AND NOT aml.reconciled
                   AND aml.amount_residual > 0 AND aml.parent_state = 'posted'
              ORDER BY customer.commercial_partner_id, aml.company_id, item.level_sequence DESC
            ), next_step AS (
                SELECT customer.commercial_partner_id AS partner_id, aml.company_id,
                       MIN(item.next_date) AS next_date
                  FROM account_move_line aml
                  JOIN account_collection_item item ON item.id = aml.collection_item_id
                  JOIN res_partner customer ON customer.id = aml.partner_id
                 WHERE item.next_date IS NOT NULL
              GROUP BY customer.commercial_partner_id, aml.company_id
            ), history AS (
                -- How late the customer paid what it paid in the last 12 months.
                SELECT customer.commercial_partner_id AS partner_id, aml.company_id,
                       AVG(GREATEST(paid.day - COALESCE(aml.date_maturity, aml.date), 0)) AS days_late
                  FROM account_move_line aml
                  JOIN account_account account ON account.id = aml.account_id
                  JOIN res_partner customer ON customer.id = aml.partner_id
                  JOIN LATERAL (
                           SELECT MAX(partial.max_date) AS day
                             FROM account_partial_reconcile partial
                            WHERE partial.debit_move_id = aml.id
                       ) paid ON TRUE
                 WHERE account.account_type = 'asset_receivable' AND aml.parent_state = 'posted'
                   AND aml.reconciled AND aml.balance > 0 AND paid.day >= %(year_ago)s
                   -- Items booked more than two years ago are not what was paid this year.
                   AND aml.date >= %(two_years_ago)s
                   AND customer.commercial_partner_id IN (
                           SELECT res_id FROM mail_activity WHERE res_model = 'res.partner' AND active)
              GROUP BY customer.commercial_partner_id, aml.company_id
            ), disputes AS (
                -- Disputed entries still owed on (journal entries have no payment state).
                SELECT customer.commercial_partner_id AS partner_id, move.company_id,
                       COUNT(DISTINCT move.id) AS disputed
                  FROM account_move move
                  JOIN account_move_line aml ON aml.move_id = move.id
                  JOIN account_account account ON account.id = aml.account_id
                  JOIN res_partner customer ON customer.id = aml.partner_id
                 WHERE move.collection_disputed AND move.state = 'posted'
                   AND account.account_type = 'asset_receivable'
                   AND NOT aml.reconciled AND aml.amount_residual > 0
              GROUP BY customer.commercial_partner_id, move.company_id
            ), promises AS (
                SELECT promise.partner_id, promise.company_id,
                       COUNT(*) FILTER (WHERE promise.state = 'broken'
                                          AND promise.state_date >= %(since)s) AS broken,
                       SUM(promise.amount) FILTER (WHERE promise.state = 'open') AS open_amount
                  FROM account_collection_promise promise
              GROUP BY promise.partner_id, promise.company_id
            ), last_call AS (
                SELECT DISTINCT ON (call.partner_id, call.company_id)
                       call.partner_id, call.company_id, call.outcome_id
                  FROM account_collection_call call
              ORDER BY call.partner_id, call.company_id, call.date DESC, call.id DESC
            )
            SELECT activity.id AS id,
                   activity.id AS activity_id,
                   partner.id AS partner_id,
                   activity.user_id,
                   collector.company_id,
                   company.currency_id,
                   activity.summary,
                   activity.date_deadline,
                   -- The call time is a wall-clock time where the customer is (its time zone when
                   -- set, else the collection calendar's): stored in UTC like every datetime, so
                   -- that each user sees it in their own time zone.
                   (activity.date_deadline
                       + make_interval(mins => ROUND(COALESCE(activity.collection_call_time, 9) * 60)::int))
                       AT TIME ZONE COALESCE(
                           -- A time zone PostgreSQL does not know falls back to the calendar's.
                           (SELECT zone.name FROM pg_timezone_names zone WHERE zone.name = partner.tz),
                           calendar.tz, 'UTC') AT TIME ZONE 'UTC'
                       AS call_at,
                   COALESCE(debt.open_amount, 0) AS open_amount,
                   COALESCE(debt.overdue_amount, 0) AS overdue_amount,
                   COALESCE(debt.overdue_days, 0) AS overdue_days,
                   COALESCE(debt.overdue_amount, 0) * GREATEST(COALESCE(debt.overdue_days, 0), 1)
                       * (1 + COALESCE(promises.broken, 0))
                       * (1 + COALESCE(history.days_late, 0) / 30.0) AS priority,
                   COALESCE(history.days_late, 0) AS days_late,
                   COALESCE(disputes.disputed, 0) AS disputed_count,
                   COALESCE(promises.broken, 0) AS broken_promises,
                   promises.open_amount AS open_promise_amount,
                   ladder.level_id,
                   next_step.next_date,
                   last_call.outcome_id AS last_outcome_id
              FROM mail_activity activity
              JOIN res_partner partner ON partner.id = activity.res_id AND activity.res_model = 'res.partner'
              JOIN res_users collector ON collector.id = activity.user_id
              JOIN res_company company ON company.id = collector.company_id
         LEFT JOIN resource_calendar calendar
                ON calendar.id = COALESCE(company.collection_calendar_id, company.resource_calendar_id)
              -- by xml id: the view is created before the activity type's data is loaded
              JOIN ir_model_data call_type ON call_type.model = 'mail.activity.type'
                   AND call_type.res_id = activity.activity_type_id
                   AND call_type.module = 'account_collections'
                   AND call_type.name = 'mail_activity_type_collection_call'
         LEFT JOIN debt ON debt.partner_id = partner.id AND debt.company_id = company.id
         LEFT JOIN ladder ON ladder.partner_id = partner.id AND ladder.company_id = company.id
         LEFT JOIN next_step ON next_step.partner_id = partner.id AND next_step.company_id = company.id
         LEFT JOIN promises ON promises.partner_id = partner.id AND promises.company_id = company.id
         LEFT JOIN history ON history.partner_id = partner.id AND history.company_id = company.id
         LEFT JOIN disputes ON disputes.partner_id = partner.id AND disputes.company_id = company.id
         LEFT JOIN last_call ON last_call.partner_id = partner.id AND last_call.company_id = company.id
             WHERE activity.active
            """,
            today=today,
            since=today - timedelta(days=BROKEN_PROMISE_DAYS),
            year_ago=today - timedelta(days=365),
            two_years_ago=today - timedelta(days=730),
        )

    def init(self):
        # Earlier versions kept this as a database view.
        tools.drop_view_if_exists(self.env.cr, self._table)

    def action_log_call(self):
        """One click from the worklist to the call-outcome wizard for this planned call."""
        self.ensure_one()
        return self.env["account.collection.call.register"]._action_open_for_activity(self.activity_id)

    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
