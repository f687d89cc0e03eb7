from odoo import Command, models

# What ``send_mail_batch`` renders for a queued e-mail.
MAIL_FIELDS = (
    "attachment_ids",
    "auto_delete",
    "body_html",
    "email_cc",
    "email_from",
    "email_to",
    "mail_server_id",
    "model",
    "partner_to",
    "reply_to",
    "report_template_ids",
    "res_id",
    "scheduled_date",
    "subject",
)


class MailTemplate(models.Model):
    _inherit = "mail.template"

    def _collection_send_batch(self, res_ids, letter=False, level=None, trigger=True):
        """Queue the template for partners `res_ids`, with their dunning letter (of `level`) if asked
        (and start the letters' job unless `trigger` is false: the daily run starts it once a batch).

        The e-mails are rendered and created in one batch; their letters are rendered by the
        letters' job (``mail.mail._cron_collection_letters``, started at once), which hands the
        e-mails to the mail queue: queueing stays cheap, and other e-mail never waits behind
        letters.
        """
        self.ensure_one()
        extra = {}
        if letter:
            extra = {
                "collection_letter_company_id": (level.sudo().company_id or self.env.company).id,
                "collection_letter_level_id": level.id if level else False,
            }
            if trigger:
                self.env["mail.mail"]._collection_start_letters()
        if self.email_layout_xmlid or self.report_template_ids:
            # Layouts and report attachments: Odoo's own way, 50 e-mails per create.
            return self.send_mail_batch(res_ids, email_values=extra)
        # ``send_mail_batch`` creates 50 e-mails at a time (five INSERTs each time); a ladder
        # run queues thousands: render them in one go and create them with one ``create``.
        self._send_check_access(res_ids)
        rendered = self._generate_template(res_ids, MAIL_FIELDS)
        vals_list = []
        for res_id in res_ids:
            vals = rendered[res_id]
            vals.update(extra)
            vals.pop("attachments", None)  # rendered reports only, and this template has none
            vals["recipient_ids"] = [Command.link(pid) for pid in vals.get("partner_ids") or []]
            vals["attachment_ids"] = [Command.link(aid) for aid in vals.get("attachment_ids") or []]
            vals["body"] = vals["body_html"]
            if "email_from" in vals and not vals["email_from"]:
                del vals["email_from"]
            vals_list.append(vals)
        return self.env["mail.mail"].sudo().create(vals_list)
