from odoo import fields, models

from odoo.addons.account_collections.const import MANAGER


class ResCompany(models.Model):
    _inherit = "res.company"

    collection_delivery_hold = fields.Boolean(
        string="Block Deliveries On Credit Hold",
        groups=MANAGER,
        help="Refuse to validate deliveries to customers on credit hold. Collections managers "
        "can still validate with a reason.",
    )

    def _collection_blocks_on_hold(self):
        return super()._collection_blocks_on_hold() or bool(self.sudo().collection_delivery_hold)
