from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.account_collections.const import MANAGER


class StockPicking(models.Model):
    _inherit = "stock.picking"

    # Kept on the delivery (not a grant for one request): validation may go on in a backorder
    # wizard, in another request.
    collection_hold_override_reason = fields.Char(
        string="Credit Hold Override",
        readonly=True,
        copy=False,
        tracking=True,
        help="Why a collections manager let this delivery go although the customer was on credit hold.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        # The reason lets the delivery through: nobody but a manager sets it.
        self.env["res.partner"]._collection_check_override_vals(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self.env["res.partner"]._collection_check_override_vals([vals])
        return super().write(vals)

    def _collection_check_credit_hold(self):
        """Raise a UserError naming the rules when these deliveries go to a customer on credit
        hold, in companies that block deliveries."""
        for picking in self:
            if (
                picking.picking_type_code != "outgoing"
                or not picking.partner_id
                or not picking.company_id.sudo().collection_delivery_hold
                or picking.collection_hold_override_reason
            ):
                continue
            partner = picking.partner_id.commercial_partner_id.sudo().with_company(picking.company_id)
            partner._collection_check_hold({})

    def _action_done(self):
        # Every validation ends here: the button, its wizards (backorder, immediate), RPC.
        self._collection_check_credit_hold()
        return super()._action_done()

    def button_validate(self):
        """Collections managers get the override wizard instead of the hold error."""
        if self.env.user.has_group(MANAGER):
            try:
                self._collection_check_credit_hold()
            except UserError as error:
                return self.env["stock.picking.hold.override"]._action_open(self, str(error))
        return super().button_validate()

    def _collection_validate_with_override(self, reason):
        """Validate despite the credit hold: collections managers only, with a reason logged
        on the deliveries and their customers."""
        reason = self.env["res.partner"]._collection_override_reason(reason)
        body = escape(
            self.env._(
                "Delivered despite the credit hold by %(user)s: %(reason)s",
                user=self.env.user.name,
                reason=reason,
            )
        )
        self.write({"collection_hold_override_reason": reason})
        result = self.button_validate()
        self._message_log_batch(bodies=dict.fromkeys(self.ids, body))
        for partner in self.partner_id.commercial_partner_id:
            partner.sudo().message_post(author_id=self.env.user.partner_id.id, body=body)
        return result
