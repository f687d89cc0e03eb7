from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collection_delivery_hold = fields.Boolean(related="company_id.collection_delivery_hold", readonly=False)
