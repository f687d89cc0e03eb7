from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collection_ladder_id = fields.Many2one(related="company_id.collection_ladder_id", readonly=False)
    collection_run_workers = fields.Integer(related="company_id.collection_run_workers", readonly=False)
    collection_snapshot_retention_days = fields.Integer(
        related="company_id.collection_snapshot_retention_days", readonly=False
    )
    collection_charges_since = fields.Date(related="company_id.collection_charges_since", readonly=False)
    collection_charges_enabled = fields.Boolean(
        related="company_id.collection_charges_enabled", readonly=False
    )
    collection_charge_product_id = fields.Many2one(
        related="company_id.collection_charge_product_id", readonly=False
    )
    collection_charge_journal_id = fields.Many2one(
        related="company_id.collection_charge_journal_id", readonly=False
    )
    collection_user_id = fields.Many2one(related="company_id.collection_user_id", readonly=False)
    collection_calendar_id = fields.Many2one(related="company_id.collection_calendar_id", readonly=False)
    collection_promise_horizon = fields.Integer(
        related="company_id.collection_promise_horizon", readonly=False
    )
    collection_promise_grace = fields.Integer(related="company_id.collection_promise_grace", readonly=False)
    collection_portal_link_days = fields.Integer(
        related="company_id.collection_portal_link_days", readonly=False
    )
    collection_portal_promise_days = fields.Integer(
        related="company_id.collection_portal_promise_days", readonly=False
    )
    collection_credit_hold = fields.Boolean(related="company_id.collection_credit_hold", readonly=False)
    collection_limit_policy = fields.Selection(related="company_id.collection_limit_policy", readonly=False)
    collection_broken_promise_limit = fields.Integer(
        related="company_id.collection_broken_promise_limit", readonly=False
    )
    collection_call_retries = fields.Integer(related="company_id.collection_call_retries", readonly=False)
    collection_run_retention_days = fields.Integer(
        related="company_id.collection_run_retention_days", readonly=False
    )
    collection_demand_threshold = fields.Monetary(
        related="company_id.collection_demand_threshold", readonly=False, currency_field="currency_id"
    )
