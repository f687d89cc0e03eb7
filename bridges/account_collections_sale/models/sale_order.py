from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.account_collections.const import MANAGER
from odoo.addons.account_collections.grant import grant, granted

# sale.order ids a collections manager confirmed despite the credit hold (see grant.py).
CONFIRM_ON_HOLD = "confirm_on_hold"
CREDIT_STATUSES = [("normal", "Normal"), ("warning", "Warning"), ("hold", "On Hold")]


class SaleOrder(models.Model):
    _inherit = "sale.order"

    collection_credit_status = fields.Selection(
        CREDIT_STATUSES,
        string="Customer Credit Status",
        compute="_compute_collection_credit",
        help="The customer's credit status with this order confirmed.",
    )
    collection_hold_reasons = fields.Text(string="Credit Hold Reasons", compute="_compute_collection_credit")
    collection_hold_override_reason = fields.Char(
        string="Credit Hold Override",
        readonly=True,
        copy=False,
        tracking=True,
        help="Why a collections manager confirmed this order although the customer was on credit hold.",
    )
    collection_request_ids = fields.Many2many(
        "account.collection.credit.request",
        "account_collection_credit_request_sale_order_rel",
        "order_id",
        "request_id",
        string="Credit Requests",
        copy=False,
    )

    @api.depends("partner_id", "amount_total", "currency_id", "company_id", "state")
    @api.depends_context("company")
    def _compute_collection_credit(self):
        for order in self:
            order.collection_credit_status, order.collection_hold_reasons = "normal", False
            if order.state not in ("draft", "sent") or not order.partner_id:
                continue
            hold, warn = order._collection_hold_reasons()
            order.collection_credit_status = (
                self.env["res.partner"].with_company(order.company_id)._collection_status(hold, warn)
            )
            order.collection_hold_reasons = "\n".join(hold + warn) or False

    # ------------------------------------------------------------------
    # CRUD: confirming is refused for customers on hold, whatever the path
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        self.env["res.partner"]._collection_check_override_vals(vals_list)
        orders = super().create(vals_list)
        orders.filtered(lambda o: o.state == "sale")._collection_check_credit_hold()
        return orders

    def write(self, vals):
        self.env["res.partner"]._collection_check_override_vals([vals])
        if vals.get("state") == "sale":
            # Every confirmation writes the state: the button, RPC, the portal's signature
            # and payment, a copy of a blocked quotation, a quotation confirmed again.
            self.filtered(lambda o: o.state != "sale")._collection_check_credit_hold()
        return super().write(vals)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_confirm(self):
        """Collections managers get the override wizard instead of the hold error."""
        if self.env.user.has_group(MANAGER):
            try:
                self.filtered(lambda o: o.state in ("draft", "sent"))._collection_check_credit_hold()
            except UserError as error:
                return self.env["sale.order.hold.override"]._action_open(self, str(error))
        return super().action_confirm()

    def action_collection_request_credit(self):
        """From a blocked order: propose a higher limit or a tolerance to the collections
        managers; the order confirms once they approve."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        return {
            "name": self.env._("Request Credit"),
            "type": "ir.actions.act_window",
            "res_model": "account.collection.credit.request",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_partner_id": partner.id,
                "default_company_id": self.company_id.id,
                "default_sale_order_ids": [self.id],
                "default_change_credit_limit": True,
                "default_credit_limit": partner.sudo().with_company(self.company_id).credit_limit
                + self._collection_amount_company(),
                "default_reason": self.env._(
                    "Order %(order)s (%(amount)s) is blocked: %(reasons)s",
                    order=self.name,
                    amount=self.currency_id.format(self.amount_total),
                    reasons=self.collection_hold_reasons or "",
                ),
            },
        }

    # ------------------------------------------------------------------
    # Business
    # ------------------------------------------------------------------
    def _collection_amount_company(self):
        """The order's total in company currency, what confirming it adds to the exposure."""
        self.ensure_one()
        company = self.company_id
        return self.currency_id._convert(
            self.amount_total,
            company.currency_id,
            company,
            self.date_order or fields.Date.context_today(self),
        )

    def _collection_paid_in_advance(self):
        """Orders paid in full before confirmation are never held: no credit is given."""
        self.ensure_one()
        return self.currency_id.compare_amounts(self.amount_paid, self.amount_total) >= 0 and bool(
            self.amount_total
        )

    def _collection_hold_reasons(self):
        """(hold reasons, warning reasons) of the customer with this order confirmed."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id.sudo().with_company(self.company_id)
        return partner._collection_hold_reasons(
            extra_amounts={partner.id: self._collection_amount_company()}
        )[partner.id]

    def _collection_check_credit_hold(self):
        """Raise a UserError naming the rules when confirming these orders would put credit
        on a customer on hold, in companies that block orders."""
        for order in self:
            if not order.company_id.sudo().collection_sale_hold or granted(
                self.env, CONFIRM_ON_HOLD, order.ids
            ):
                continue
            if order._collection_paid_in_advance():
                continue
            partner = order.partner_id.commercial_partner_id.sudo().with_company(order.company_id)
            partner._collection_check_hold({partner.id: order._collection_amount_company()})

    def _collection_confirm_with_override(self, reason):
        """Confirm despite the credit hold: collections managers only, with a reason logged on
        the orders and their customers."""
        reason = self.env["res.partner"]._collection_override_reason(reason)
        self.write({"collection_hold_override_reason": reason})
        with grant(self.env, CONFIRM_ON_HOLD, self.ids):
            self.action_confirm()
        body = escape(
            self.env._(
                "Confirmed despite the credit hold by %(user)s: %(reason)s",
                user=self.env.user.name,
                reason=reason,
            )
        )
        self._message_log_batch(bodies=dict.fromkeys(self.ids, body))
        for partner, orders in self.grouped(lambda o: o.partner_id.commercial_partner_id).items():
            partner.sudo().message_post(
                author_id=self.env.user.partner_id.id,
                body=self.env._(
                    "Credit hold overridden for %(orders)s by %(user)s: %(reason)s",
                    orders=", ".join(orders.mapped("name")),
                    user=self.env.user.name,
                    reason=reason,
                ),
            )
        return True

    def _collection_confirm_approved(self):
        """After an approved credit request: confirm the orders now within terms; the others
        say on their chatter why they still wait."""
        for order in self.filtered(lambda o: o.state in ("draft", "sent")):
            try:
                with self.env.cr.savepoint():
                    order._collection_check_credit_hold()
                    order.action_confirm()
            except UserError as error:
                order.message_post(
                    body=self.env._(
                        "Still on credit hold after the approval: %(reasons)s", reasons=str(error)
                    )
                )
