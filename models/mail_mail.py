import logging
from collections import defaultdict

from markupsafe import Markup, escape

from odoo import Command, api, fields, models
from odoo.tools import split_every

from odoo.addons.mail.models.mail_message import _image_dataurl

from ..bulk import insert_links, insert_rows
from .res_partner_dunning import LETTER_CHUNK

_logger = logging.getLogger(__name__)

# Reminders per INSERT (``_collection_create_mails``).
MAIL_CHUNK = 1000


class MailMail(models.Model):
    _inherit = "mail.mail"

    collection_letter_company_id = fields.Many2one(
        "res.company",
        string="Dunning Letter to Attach",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        copy=False,
        help="Set while the customer's dunning letter (for this company's items) waits to be "
        "rendered and attached by the letters' job; the mail queue leaves the e-mail alone meanwhile.",
    )
    collection_letter_level_id = fields.Many2one(
        "account.collection.ladder.level",
        string="Letter Level",
        ondelete="set null",
        readonly=True,
        copy=False,
        help="Level whose title and text the letter uses; empty: the customer's current level.",
    )

    @api.model
    def process_email_queue(self, email_ids=(), batch_size=1000):
        """E-mails whose dunning letter is not rendered yet are not the queue's to send: the
        letters' job renders them in batches, then hands them over (``_cron_collection_letters``).
        Other e-mail of the database never waits behind letters."""
        filters = [*self.env.context.get("filters", []), ("collection_letter_company_id", "=", False)]
        return super(MailMail, self.with_context(filters=filters)).process_email_queue(
            email_ids=email_ids, batch_size=batch_size
        )

    @api.model
    def _collection_create_mails(self, vals_list):
        """Queue e-mails about documents, with their chatter messages, as ``create`` does: in one
        INSERT per table (``bulk.insert_rows``) when they can be.

        ``create`` makes a message and an e-mail record by record (its defaults, its message
        id, the documents' caches): a busy day queues a thousand reminders, and this was a
        tenth of its run. The rows are what ``create`` stores, as a test compares: the
        defaults (read once per set of values given), a message id per e-mail, the parsed
        send date, the recipients. Bodies are stored as given, unsanitized: the caller's are
        clean (``mail.template._collection_renders_clean``); an image pasted in one, which
        ``create`` moves into an attachment, sends them all through ``create``. So do values
        that are not columns (attachments, tracking), values that leave ``create`` to compute
        the reply-to address, and another module adding to the way records are created.
        """
        Mail = self.sudo()
        if not vals_list or not Mail._collection_bulk_ready(vals_list):
            return Mail.create(vals_list)
        defaults = {}
        for keys in {frozenset(vals) for vals in vals_list}:
            defaults[keys] = {
                name: value
                for name, value in Mail._add_missing_default_values(dict.fromkeys(keys)).items()
                if name not in keys
            }
            if any(
                value and Mail._fields[name].type in ("one2many", "many2many")
                for name, value in defaults[keys].items()
            ):
                return Mail.create(vals_list)
        # A thousand e-mails a statement: a first run queues thousands, and one statement held
        # all their bodies in memory several times over (values, array text, query).
        return Mail.union(
            *(Mail._collection_insert_mails(chunk, defaults) for chunk in split_every(MAIL_CHUNK, vals_list))
        )

    @api.model
    def _collection_insert_mails(self, vals_list, defaults):
        """Insert e-mails and their messages (see ``_collection_create_mails``), `defaults` per
        set of values given."""
        Mail, Message = self, self.env["mail.message"]
        messages_vals, mails_vals, links = [], [], {"partner_ids": [], "recipient_ids": []}
        for index, vals in enumerate(vals_list):
            vals = {**defaults[frozenset(vals)], **vals}
            message_vals, mail_vals = {}, {}
            for name, value in vals.items():
                if name in links:
                    links[name] += [(index, partner_id) for partner_id in self._collection_ids(value)]
                elif name == "attachment_ids":
                    continue
                elif Mail._fields[name].inherited:
                    message_vals[name] = value
                else:
                    mail_vals[name] = value
            if message_vals.get("body") and not isinstance(message_vals["body"], Markup):
                message_vals["body"] = Markup(message_vals["body"])
            message_vals["message_id"] = message_vals.get("message_id") or Message._get_message_id(
                message_vals
            )
            scheduled = mail_vals.get("scheduled_date")
            parsed = scheduled and Mail._parse_scheduled_datetime(scheduled)
            mail_vals["scheduled_date"] = parsed.replace(tzinfo=None) if parsed else False
            messages_vals.append(message_vals)
            mails_vals.append(mail_vals)
        messages = insert_rows(Message, messages_vals)
        for mail_vals, message in zip(mails_vals, messages, strict=True):
            mail_vals["mail_message_id"] = message.id
        mails = insert_rows(Mail, mails_vals)
        for name, owners in (("partner_ids", messages), ("recipient_ids", mails)):
            insert_links(owners, name, [(owners.ids[index], partner_id) for index, partner_id in links[name]])
        # The documents' lists of messages, as ``mail.message._invalidate_documents`` (which
        # takes the first message's document for them all) clears them.
        documents = defaultdict(set)
        for message_vals in messages_vals:
            documents[message_vals["model"]].add(message_vals["res_id"])
        for model, res_ids in documents.items():
            if model in self.pool and issubclass(self.pool[model], self.pool["mail.thread"]):
                self.env[model].browse(res_ids).invalidate_recordset(
                    ["message_ids", "message_needaction", "message_needaction_counter"]
                )
        return mails

    @api.model
    def _collection_bulk_ready(self, vals_list):
        """Whether ``_collection_insert_mails`` stores these values as ``create`` would."""
        Message = self.env["mail.message"]
        # Only mail's own way of creating messages and e-mails.
        for model in (self, Message):
            for cls in type(model).mro():
                if vars(cls).keys() & {"create", "_create", "_prepare_create_values"} and getattr(
                    cls, "_module", None
                ) not in ("mail", None):
                    return False

        def column(name):
            field = self._fields.get(name)
            if field and field.inherited:
                field = Message._fields[name]
            return bool(field and field.store and field.column_type)

        for vals in vals_list:
            for name, value in vals.items():
                if name in ("partner_ids", "recipient_ids"):
                    if any(
                        not isinstance(command, int) and command[0] not in (Command.LINK, Command.SET)
                        for command in value or ()
                    ):
                        return False
                elif name == "attachment_ids":
                    if value:
                        return False
                elif name == "mail_message_id" or not column(name):
                    return False
            if "reply_to" not in vals or not vals.get("model") or not vals.get("res_id"):
                return False
            if _image_dataurl.search(vals.get("body") or ""):
                return False
        return True

    @api.model
    def _collection_ids(self, value):
        """The ids a many2many value links: ids, or link and set commands."""
        ids = []
        for command in value or ():
            if isinstance(command, int):
                ids.append(command)
            elif command[0] == Command.LINK:
                ids.append(command[1])
            else:
                ids += command[2]
        return ids

    @api.model
    def _collection_start_letters(self):
        """Start the letters' job now for the letters just queued (it also runs on its schedule)."""
        self.env.ref("account_collections.ir_cron_collection_letters").sudo()._trigger()

    @api.model
    def _cron_collection_letters(self, limit=500):
        """The letters' job: render the pending dunning letters of queued e-mails, a batch at a
        time (one wkhtmltopdf run per batch when it is built on patched Qt), attach them and let
        the mail queue send the e-mails. Each batch is committed when run by the scheduler, which
        calls the job again while letters remain."""
        domain = [("collection_letter_company_id", "!=", False), ("state", "=", "outgoing")]
        Mail = self.sudo()
        pending = Mail.search(domain, order="id", limit=limit)
        remaining = Mail.search_count(domain) - len(pending) if len(pending) == limit else 0
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        done = Mail.browse()
        for chunk in split_every(LETTER_CHUNK, pending.ids, Mail.browse):
            chunk._collection_attach_letters()
            done |= chunk
            if in_cron:
                left = remaining + len(pending) - len(done)
                if not self.env["ir.cron"]._commit_progress(len(chunk), remaining=left):
                    break
        if done:
            self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()
        return done

    def send(self, auto_commit=False, raise_exception=False, post_send_callback=None):
        failed = self._collection_attach_letters()
        return super(MailMail, self - failed).send(
            auto_commit=auto_commit, raise_exception=raise_exception, post_send_callback=post_send_callback
        )

    def _collection_attach_letters(self):
        """Render the pending dunning letters of these e-mails, one batch per level (the letters'
        job does it; sending an e-mail at once, *Send Now*, does it too).

        A letter that cannot be rendered (wkhtmltopdf missing or failing) puts its e-mail in
        exception with the reason (*Retry* on the e-mail renders it again) and logs the failure
        on the customer; the ladder step stays recorded. Returns the failed e-mails.
        """
        pending = self.filtered("collection_letter_company_id")
        failed = self.browse()
        # A letter with no customer to write to (deleted since): the e-mail fails visibly
        # instead of waiting for ever.
        orphans = pending.filtered(
            lambda mail: mail.model != "res.partner"
            or not self.env["res.partner"].browse(mail.res_id).exists()
        )
        if orphans:
            orphans.write(
                {
                    "state": "exception",
                    "failure_type": "unknown",
                    "failure_reason": self.env._("The customer of this dunning letter no longer exists."),
                    "collection_letter_company_id": False,
                }
            )
            failed |= orphans
            pending -= orphans
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
