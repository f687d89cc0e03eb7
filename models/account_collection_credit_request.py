from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..const import MANAGER

# What a request proposes: fixed once it is decided.
PROPOSED_TERMS = {
    "partner_id",
    "company_id",
    "change_credit_limit",
    "change_tolerance",
    "credit_limit",
    "tolerance_days",
    "tolerance_amount",
    "tolerance_until",
    "reason",
}


class AccountCollectionCreditRequest(models.Model):
    """A proposal to the credit committee: new limit or tolerance for one customer."""

    _name = "account.collection.credit.request"
    _description = "Credit Terms Request"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "create_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        check_company=True,
        domain="[('is_company', '=', True)]",
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    requested_by_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True)
    state = fields.Selection(
        [("submitted", "To Approve"), ("approved", "Approved"), ("refused", "Refused")],
        default="submitted",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    current_credit_limit = fields.Float(string="Current Limit", readonly=True, digits="Account")
    # What the request changes: only the terms it names are written on approval.
    change_credit_limit = fields.Boolean(string="Change the Credit Limit", tracking=True)
    change_tolerance = fields.Boolean(string="Change the Tolerance", tracking=True)
    credit_limit = fields.Float(string="Proposed Credit Limit", digits="Account", tracking=True)
    tolerance_days = fields.Integer(string="Proposed Tolerated Days", tracking=True)
    tolerance_amount = fields.Float(string="Proposed Tolerated Amount", digits="Account", tracking=True)
    tolerance_until = fields.Date(string="Tolerance Valid Until", tracking=True)
    reason = fields.Text(required=True)
    decided_by_id = fields.Many2one("res.users", readonly=True)
    decision_date = fields.Date(readonly=True)
    decision_note = fields.Text()

    @api.depends("partner_id", "create_date")
    def _compute_name(self):
        for request in self:
            request.name = self.env._("Credit request for %(partner)s", partner=request.partner_id.name or "")

    @api.constrains(
        "change_credit_limit",
        "change_tolerance",
        "credit_limit",
        "tolerance_days",
        "tolerance_amount",
        "tolerance_until",
    )
    def _check_values(self):
        today = fields.Date.context_today(self)
        for request in self:
            if not (request.change_credit_limit or request.change_tolerance):
                raise ValidationError(
                    self.env._("Say what the request changes: the credit limit, the tolerance, or both.")
                )
            if min(request.credit_limit, request.tolerance_days, request.tolerance_amount) < 0:
                raise ValidationError(self.env._("Credit limits and tolerances cannot be negative."))
            if request.tolerance_until and request.tolerance_until < today and request.state == "submitted":
                raise ValidationError(self.env._("A tolerance cannot end in the past."))

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(
            vals.get("state", "submitted") != "submitted"
            or vals.get("decided_by_id")
            or vals.get("decision_date")
            for vals in vals_list
        ):
            raise AccessError(self.env._("A credit request is submitted; collections managers decide it."))
        requests = super().create(vals_list)
        for request in requests:
            request.sudo().current_credit_limit = (
                request.partner_id.with_company(request.company_id).sudo().credit_limit
            )
            request.message_post(body=request.reason)
            # Whoever may request (a salesperson, with the sales bridge) need not edit customers.
            request.partner_id.sudo().message_post(
                author_id=self.env.user.partner_id.id,
                body=self.env._(
                    "Credit request by %(user)s: %(reason)s",
                    user=request.requested_by_id.name,
                    reason=request.reason,
                ),
            )
        return requests

    def write(self, vals):
        decided = {"state", "decided_by_id", "decision_date", "current_credit_limit"} & set(vals)
        if decided and not self.env.su:
            if not self.env.user.has_group(MANAGER):
                raise AccessError(
                    self.env._("Only collections managers can approve or refuse credit requests.")
                )
            raise UserError(self.env._("A credit request is decided with Approve or Refuse."))
        if self.filtered(lambda r: r.state != "submitted") and PROPOSED_TERMS & set(vals) and not self.env.su:
            raise UserError(self.env._("A decided credit request cannot be changed."))
        return super().write(vals)

    def _check_can_decide(self):
        if not self.env.user.has_group(MANAGER):
            raise AccessError(self.env._("Only collections managers can approve or refuse credit requests."))
        if self.filtered(lambda r: r.state != "submitted"):
            raise UserError(self.env._("Only requests waiting for approval can be decided."))

    def _prepare_partner_terms(self):
        """Terms written on the customer when the request is approved: those it names."""
        self.ensure_one()
        terms = {}
        if self.change_credit_limit:
            terms.update(credit_limit=self.credit_limit, use_partner_credit_limit=True)
        if self.change_tolerance:
            terms.update(
                collection_tolerance_days=self.tolerance_days,
                collection_tolerance_amount=self.tolerance_amount,
                collection_tolerance_until=self.tolerance_until,
                collection_tolerance_reason=self.reason,
                collection_tolerance_user_id=self.env.user.id,
                collection_tolerance_date=fields.Date.context_today(self),
            )
        return terms

    def action_approve(self):
        self._check_can_decide()
        for request in self:
            request.partner_id.with_company(request.company_id).write(request._prepare_partner_terms())
            request.sudo().write(
                {
                    "state": "approved",
                    "decided_by_id": self.env.user.id,
                    "decision_date": fields.Date.context_today(self),
                }
            )
            request.partner_id.message_post(
                body=self.env._("Credit request approved by %(user)s.", user=self.env.user.name)
            )
        return True

    def action_refuse(self):
        self._check_can_decide()
        self.sudo().write(
            {
                "state": "refused",
                "decided_by_id": self.env.user.id,
                "decision_date": fields.Date.context_today(self),
            }
        )
        for request in self:
            request.partner_id.message_post(
                body=self.env._(
                    "Credit request refused by %(user)s: %(note)s",
                    user=self.env.user.name,
                    note=request.decision_note or "",
                )
            )
        return True
