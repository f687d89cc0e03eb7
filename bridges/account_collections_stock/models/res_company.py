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
