import logging

from odoo import api, fields, models
from odoo.exceptions import RedirectWarning, UserError

from ..const import CALL_TYPE, MANAGER
from ..grant import CLOSE_CALL, granted


class MailActivity(models.Model):
    _inherit = "mail.activity"

    collection_call_time = fields.Float(
        string="Call Time", help="Time of day a collection call is planned for."
    )
    # A customer is shared by the companies, and a collector works for several: the call says
    # whose receivables it is about, for the managers' figures.
    collection_company_id = fields.Many2one(
        "res.company",
        readonly=True,
        help="Company whose receivables the call is about.",
    )

    def _collection_calls(self):
        call_type = self.env.ref(CALL_TYPE, raise_if_not_found=False)
        return self.filtered(lambda a: call_type and a.activity_type_id == call_type)

    def _collection_closing_refused(self):
        """Collection calls among these activities that nothing allows to close: a call is
        closed by recording its outcome, or by the ladder when its invoices are paid."""
        return self._collection_calls().filtered(lambda a: not granted(self.env, CLOSE_CALL, a.ids))

    def _action_done(self, feedback=False, attachment_ids=None):
        refused = self._collection_closing_refused()
        if refused:
            action = self.env["account.collection.call.register"]._action_open_for_activity(refused[:1])
            error = RedirectWarning(
                self.env._("A collection call ends with a recorded outcome: log the call first."),
                action,
                self.env._("Log the call"),
            )
            # An expected refusal, not a server error: the HTTP layer logs it at this level.
            error.loglevel = logging.INFO
            raise error
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)

    def write(self, vals):
        # A done activity is an archived one: archiving a call is closing it.
        if "active" in vals and not vals["active"] and self.filtered("active")._collection_closing_refused():
            raise UserError(self.env._("A collection call ends with a recorded outcome: log the call first."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_collection_call(self):
        calls = self._collection_closing_refused()
        if calls and not self.env.su and not self.env.user.has_group(MANAGER):
            raise UserError(
                self.env._("Collectors cannot delete collection calls: log their outcome instead.")
            )
