from odoo import fields, models

from odoo.addons.account_collections.const import MANAGER


class ResCompany(models.Model):
    _inherit = "res.company"

    collection_sale_hold = fields.Boolean(
        string="Block Sales Orders On Credit Hold",
        groups=MANAGER,
        help="Refuse to confirm sales orders of customers on credit hold (orders paid in advance "
        "excepted). Collections managers can still confirm with a reason.",
    )

    def _collection_blocks_on_hold(self):
        return super()._collection_blocks_on_hold() or bool(self.sudo().collection_sale_hold)
