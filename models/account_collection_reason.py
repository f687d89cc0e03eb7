from odoo import fields, models


class AccountCollectionReason(models.Model):
    """What a debtor says keeps it from paying, recorded with the call's outcome: managers see
    which reasons come up per collector and customer (when every collector blames "the
    market", the reasons say whether it is true)."""

    _name = "account.collection.reason"
    _description = "Reason Given for Not Paying"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
