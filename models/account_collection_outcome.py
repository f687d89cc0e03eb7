from odoo import fields, models

OUTCOME_TYPES = [
    ("promise", "Promise to pay"),
    ("paid", "Already paid"),
    ("dispute", "Dispute / complaint"),
    ("refused", "Refused to pay"),
    ("no_answer", "No answer"),
    ("wrong_contact", "Wrong contact"),
    ("call_back", "Call back"),
    ("satisfied", "Satisfied, no complaint"),
]


class AccountCollectionOutcome(models.Model):
    """A possible result of a collection call; its type decides what the call must record."""

    _name = "account.collection.outcome"
    _description = "Collection Call Outcome"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    outcome_type = fields.Selection(OUTCOME_TYPES, required=True, default="promise")
    description = fields.Text(translate=True)
