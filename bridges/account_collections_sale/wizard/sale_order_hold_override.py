from odoo import fields, models


class SaleOrderHoldOverride(models.TransientModel):
    """Lets a collections manager confirm orders of a customer on credit hold, with a reason."""

    _name = "sale.order.hold.override"
    _inherit = ["account.collection.hold.override"]
    _description = "Confirm Despite Credit Hold"
    _hold_records = "order_ids"
    _hold_override = "_collection_confirm_with_override"

    order_ids = fields.Many2many("sale.order", string="Orders", required=True)
