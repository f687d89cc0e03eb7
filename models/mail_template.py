from odoo import models


class MailTemplate(models.Model):
    _inherit = "mail.template"

    def _collection_send_batch(self, res_ids, letter=False, level=None):
        """Queue the template for partners `res_ids`, with their dunning letter (of `level`) if asked.

        The e-mails are rendered in one batch; the letters are rendered when the mail queue
        sends them (``mail.mail._collection_attach_letters``), so queueing stays cheap and the
        letter lists the invoices still open on the day it leaves.
        """
        self.ensure_one()
        mails = self.send_mail_batch(res_ids)
        if letter and mails:
            mails.write(
                {
                    "collection_letter_company_id": (level.sudo().company_id or self.env.company).id,
                    "collection_letter_level_id": level.id if level else False,
                }
            )
        return mails
