from odoo import fields, models


class AccountMoveHoldOverride(models.TransientModel):
    """Lets a collections manager post invoices of a customer on credit hold, with a reason."""

    _name = "account.move.hold.override"
    _description = "Post Despite Credit Hold"

    move_ids = fields.Many2many("account.move", string="Invoices", required=True)
    hold_message = fields.Text(string="Why the customer is on hold", readonly=True)
    reason = fields.Text(help="Recorded on the invoices and the customers.")

    def _action_open(self, moves, message):
        wizard = self.create({"move_ids": [fields.Command.set(moves.ids)], "hold_message": message})
        return {
            "name": self.env._("Customer on Credit Hold"),
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_confirm(self):
        self.ensure_one()
        # The model checks the group and the reason.
        self.move_ids._collection_post_with_override(self.reason)
        return {"type": "ir.actions.act_window_close"}
