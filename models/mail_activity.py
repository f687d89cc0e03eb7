from odoo import api, fields, models
from odoo.exceptions import RedirectWarning, UserError

from ..const import CALL_TYPE, MANAGER


class MailActivity(models.Model):
    _inherit = "mail.activity"

    collection_call_time = fields.Float(
        string="Call Time", help="Time of day a collection call is planned for."
    )

    def _collection_calls(self):
        call_type = self.env.ref(CALL_TYPE, raise_if_not_found=False)
        return self.filtered(lambda a: call_type and a.activity_type_id == call_type)

    def _collection_outcome_required(self):
        """A collection call is done only through the outcome wizard (or by the system)."""
        if self.env.context.get("collection_outcome_recorded") or self.env.context.get(
            "collection_system_close"
        ):
            return
        calls = self._collection_calls()
        if not calls:
            return
        action = self.env["account.collection.call.register"]._action_open_for_activity(calls[:1])
        raise RedirectWarning(
            self.env._("A collection call ends with a recorded outcome: log the call first."),
            action,
            self.env._("Log the call"),
        )

    def _action_done(self, feedback=False, attachment_ids=None):
        self._collection_outcome_required()
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_collection_call(self):
        calls = self._collection_calls()
        if (
            calls
            and not self.env.su
            and not self.env.context.get("collection_system_close")
            and not self.env.context.get("collection_outcome_recorded")
            and not self.env.user.has_group(MANAGER)
        ):
            raise UserError(
                self.env._("Collectors cannot delete collection calls: log their outcome instead.")
            )
