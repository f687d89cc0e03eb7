from odoo import fields, models


class AccountCollectionReassign(models.TransientModel):
    """Hand customers to another collector, with their open collection activities."""

    _name = "account.collection.reassign"
    _description = "Hand Customers to Another Collector"

    partner_ids = fields.Many2many(
        "res.partner", string="Customers", required=True, default=lambda self: self._default_partner_ids()
    )
    user_id = fields.Many2one(
        "res.users", string="New Collector", required=True, domain="[('share', '=', False)]"
    )
    reason = fields.Char(required=True)

    def _default_partner_ids(self):
        if self.env.context.get("active_model") == "res.partner":
            return self.env["res.partner"].browse(self.env.context.get("active_ids")).commercial_partner_id
        return self.env["res.partner"]

    def action_reassign(self):
        self.ensure_one()
        # The model checks the group and the reason.
        self.partner_ids._collection_set_collector(self.user_id, self.reason)
        return {"type": "ir.actions.act_window_close"}
