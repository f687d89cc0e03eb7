from odoo import Command, models


class MailTemplate(models.Model):
    _inherit = "mail.template"

    def _collection_send_batch(self, res_ids, report=None):
        """Queue the template for partners `res_ids`, each with its dunning letter PDF if asked.

        The e-mails are rendered in one batch; wkhtmltopdf renders the letters one customer
        at a time, so attaching them costs one PDF per customer.
        """
        self.ensure_one()
        mails = self.send_mail_batch(res_ids)
        if not report or not mails:
            return mails
        partners = self.env["res.partner"].browse([mail.res_id for mail in mails])
        attachments = self.env["ir.attachment"].create(
            [
                {
                    "name": f"{partner.name}.pdf",
                    "raw": self.env["ir.actions.report"]
                    .with_context(collection_level_id=self.env.context.get("collection_level_id"))
                    ._render_qweb_pdf(report, partner.ids)[0],
                    "mimetype": "application/pdf",
                    "res_model": "mail.message",
                    "res_id": mail.mail_message_id.id,
                }
                for mail, partner in zip(mails, partners, strict=True)
            ]
        )
        for mail, attachment in zip(mails, attachments, strict=True):
            mail.attachment_ids = [Command.link(attachment.id)]
        return mails
