from odoo import fields, models


class StockPickingHoldOverride(models.TransientModel):
    """Lets a collections manager validate deliveries to a customer on credit hold, with a reason."""

    _name = "stock.picking.hold.override"
    _inherit = ["account.collection.hold.override"]
    _description = "Deliver Despite Credit Hold"
    _hold_records = "picking_ids"
    _hold_override = "_collection_validate_with_override"

    picking_ids = fields.Many2many("stock.picking", string="Deliveries", required=True)
