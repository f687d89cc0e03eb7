from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain


class AccountCollectionExclusion(models.Model):
    """A manager keeps a customer, or some of its items, out of the daily runs of a few days,
    with a reason (a negotiation under way, a payment announced): the run skips them, the
    preview shows it, and the customer's chatter logs who decided it and why."""

    _name = "account.collection.exclusion"
    _description = "Exclusion from the Collection Run"
    _order = "date_from desc, id desc"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    line_ids = fields.Many2many(
        "account.move.line",
        "account_collection_exclusion_line_rel",
        "exclusion_id",
        "line_id",
        string="Items",
        check_company=True,
        help="Leave empty to keep the whole customer out of the runs.",
    )
    whole_customer = fields.Boolean(
        readonly=True,
        help="Set when created without items: the whole customer is kept out. Kept as decided, so "
        "that items Odoo deletes or remakes never widen an exclusion of items to the customer.",
    )
    date_from = fields.Date(string="From", required=True, default=fields.Date.context_today)
    date_to = fields.Date(string="Until", required=True, default=fields.Date.context_today)
    reason = fields.Char(required=True)
    user_id = fields.Many2one(
        "res.users", string="Decided By", required=True, readonly=True, default=lambda self: self.env.user
    )

    @api.constrains("date_from", "date_to", "reason", "partner_id", "line_ids")
    def _check_exclusion(self):
        for exclusion in self:
            if exclusion.date_to < exclusion.date_from:
                raise ValidationError(self.env._("An exclusion ends on or after the day it starts."))
            if not (exclusion.reason or "").strip():
                raise ValidationError(self.env._("Say why the customer is kept out of the run."))
            customer = exclusion.partner_id.commercial_partner_id
            if exclusion.line_ids.partner_id.commercial_partner_id - customer:
                raise ValidationError(
                    self.env._(
                        "Every item excluded must be one of %(partner)s.", partner=customer.display_name
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        exclusions = super().create(vals_list)
        for exclusion in exclusions:
            exclusion.sudo().whole_customer = not exclusion.line_ids
            exclusion.partner_id.message_post(body=exclusion._collection_log_text(self.env._("Kept out")))
        return exclusions

    def write(self, vals):
        if "whole_customer" in vals and not self.env.su:
            vals = {key: value for key, value in vals.items() if key != "whole_customer"}
        result = super().write(vals)
        if vals.keys() & {"partner_id", "line_ids", "date_from", "date_to", "reason"}:
            for exclusion in self:
                exclusion.partner_id.message_post(body=exclusion._collection_log_text(self.env._("Changed")))
        return result

    def unlink(self):
        for exclusion in self:
            exclusion.partner_id.message_post(
                body=exclusion._collection_log_text(self.env._("No longer kept out"))
            )
        return super().unlink()

    def _collection_log_text(self, what):
        self.ensure_one()
        items = ", ".join(self.line_ids.mapped("move_name")) or self.env._("all items")
        return self.env._(
            "%(what)s of the collection runs from %(start)s to %(end)s (%(items)s) by %(user)s: %(reason)s",
            what=what,
            start=self.date_from,
            end=self.date_to,
            items=items,
            user=self.env.user.name,
            reason=self.reason,
        )

    @api.model
    def _collection_active(self, company, day):
        """(customer ids kept out whole, item ids kept out) of `company` on `day`."""
        exclusions = self.sudo().search(
            Domain([("company_id", "=", company.id), ("date_from", "<=", day), ("date_to", ">=", day)])
        )
        whole = exclusions.filtered("whole_customer")
        partner_ids = set(whole.partner_id.commercial_partner_id.ids)
        return partner_ids, set((exclusions - whole).line_ids.ids)
