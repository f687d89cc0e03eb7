import logging

from markupsafe import escape

from odoo import Command, fields, models

_logger = logging.getLogger(__name__)


class MailMail(models.Model):
    _inherit = "mail.mail"

    collection_letter_company_id = fields.Many2one(
        "res.company",
        string="Dunning Letter to Attach",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        copy=False,
        help="Set while the customer's dunning letter (for this company's invoices) waits to be "
        "rendered and attached; the e-mail's sending does it.",
    )
    collection_letter_level_id = fields.Many2one(
        "account.collection.ladder.level",
        string="Letter Level",
        ondelete="set null",
        readonly=True,
        copy=False,
        help="Level whose title and text the letter uses; empty: the customer's current level.",
    )

    def send(self, auto_commit=False, raise_exception=False, post_send_callback=None):
        failed = self._collection_attach_letters()
        return super(MailMail, self - failed).send(
            auto_commit=auto_commit, raise_exception=raise_exception, post_send_callback=post_send_callback
        )

    def _collection_attach_letters(self):
        """Render the pending dunning letters of these e-mails, one batch per level.

        A letter that cannot be rendered (wkhtmltopdf missing or failing) puts its e-mail in
        exception with the reason (*Retry* on the e-mail renders it again) and logs the failure
        on the customer; the ladder step stays recorded. Returns the failed e-mails.
        """
        pending = self.filtered(
            lambda mail: mail.collection_letter_company_id and mail.model == "res.partner" and mail.res_id
        )
        failed = self.browse()
        groups = pending.grouped(
            lambda mail: (mail.collection_letter_company_id, mail.collection_letter_level_id)
        )
        for (company, level), mails in groups.items():
            partners = self.env["res.partner"].with_company(company).browse(mails.mapped("res_id")).exists()
            try:
                with self.env.cr.savepoint():
                    pdfs = partners.sudo()._collection_letter_pdfs(level)
                    self._collection_link_letters(mails, pdfs)
            except Exception as error:
                _logger.warning("Dunning letters of level %s could not be rendered: %s", level.id, error)
                reason = self.env._("The dunning letter could not be rendered: %(error)s", error=error)
                mails.write({"state": "exception", "failure_type": "unknown", "failure_reason": reason})
                partners.sudo()._message_log_batch(bodies=dict.fromkeys(partners.ids, escape(reason)))
                failed |= mails
        return failed

    def _collection_link_letters(self, mails, pdfs):
        rendered = mails.filtered(lambda mail: mail.res_id in pdfs)
        attachments = self.env["ir.attachment"].create(
            [
                {
                    "name": self.env._("Dunning letter.pdf"),
                    "raw": pdfs[mail.res_id],
                    "mimetype": "application/pdf",
                    "res_model": "mail.message",
                    "res_id": mail.mail_message_id.id,
                }
                for mail in rendered
            ]
        )
        for mail, attachment in zip(rendered, attachments, strict=True):
            mail.attachment_ids = [Command.link(attachment.id)]
        rendered.collection_letter_company_id = False
