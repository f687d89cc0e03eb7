from odoo import fields, models


class AccountMoveHoldOverride(models.TransientModel):
    """Lets a collections manager post invoices of a customer on credit hold, with a reason."""

    _name = "account.move.hold.override"
    _inherit = ["account.collection.hold.override"]
    _description = "Post Despite Credit Hold"
    _hold_records = "move_ids"
    _hold_override = "_collection_post_with_override"

    move_ids = fields.Many2many("account.move", string="Invoices", required=True)
