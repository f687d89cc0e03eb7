import re

from odoo import Command, api, models
from odoo.tools.rendering_tools import parse_inline_template
from odoo.tools.safe_eval import safe_eval, test_python_expr

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


# A body that only calls a view, as the ladder's reminder does.
CALL_ONLY = re.compile(r'\s*<t t-call="([\w.]+)"\s*(?:/>|></t>)\s*')
# The records of a batch, as inline templates' expressions evaluated at once see them.
BATCH_RECORDS = "collection_batch_records"
# The reminder's view: its bodies need no sanitizing (``_collection_renders_clean``).
REMINDER_VIEW = "account_collections.mail_collection_reminder_body"


class MailTemplate(models.Model):
    _inherit = "mail.template"

    @api.model
    def _render_template_qweb(self, template_src, model, res_ids, add_context=None, options=None):
        """A body that only calls a view renders that view, which QWeb compiles once and caches.

        Odoo parses and compiles a body's own source for every record it renders: a reminder
        is one call of a view, and compiling that call again cost a twentieth of a busy run
        (a thousand reminders). Anything else goes Odoo's way. A template renders unrestricted
        for whoever sends it (``_unrestricted_rendering``: its code was checked when written),
        as Odoo's own rendering of it does.
        """
        called = CALL_ONLY.fullmatch(template_src or "")
        if not called or not res_ids:
            return super()._render_template_qweb(template_src, model, res_ids, add_context, options)
        variables = self._render_eval_context()
        variables.update(add_context or {})
        QWeb = self.env["ir.qweb"]
        results = {}
        try:
            for record in self.env[model].browse(res_ids):
                variables["object"] = record
                results[record.id] = QWeb._render(called[1], variables, **(options or {}))
        except Exception:
            # Odoo's way says what went wrong, in its words.
            return super()._render_template_qweb(template_src, model, res_ids, add_context, options)
        return results

    @api.model
    def _render_template_inline_template(self, template_txt, model, res_ids, add_context=None, options=None):
        """Each expression of a subject or an address is evaluated for all the records at once.

        Odoo evaluates an expression record by record, and ``safe_eval`` compiles and checks it
        again each time: five expressions per reminder, a tenth of a busy run's e-mails. Here
        ``safe_eval`` evaluates each one once, as a list over the records (``BATCH_RECORDS``
        in its variables), with the same checks and the same other variables; a record's text
        is what Odoo's would be. An expression that is not one on its own, or that the list
        cannot hold (``safe_eval`` refuses closures), sends the template Odoo's way before
        anything is evaluated; so does an error, which Odoo then reports in its words.
        """
        if (
            not template_txt
            or len(res_ids or ()) < 2
            or not self._has_unsafe_expression_template_inline_template(str(template_txt), model)
        ):
            return super()._render_template_inline_template(
                template_txt, model, res_ids, add_context, options
            )
        instructions = parse_inline_template(str(template_txt))
        # New lines: a comment ending the expression ends there.
        batched = {
            expression: f"[(\n{expression}\n) for object in {BATCH_RECORDS}]"
            for _string, expression, _default in instructions
            if expression
        }
        if any(
            test_python_expr(expression) or test_python_expr(batch) for expression, batch in batched.items()
        ):
            return super()._render_template_inline_template(
                template_txt, model, res_ids, add_context, options
            )
        records = self.env[model].browse(res_ids)
        variables = self._render_eval_context()
        variables.update(add_context or {})
        texts = [[] for _record in records]
        try:
            for string, expression, default in instructions:
                for text in texts:
                    text.append(string)
                if not expression:
                    continue
                values = safe_eval(batched[expression], dict(variables, **{BATCH_RECORDS: records}))
                for text, value in zip(texts, values, strict=True):
                    value = value or default
                    if value:
                        text.append(str(value))
        except Exception:
            return super()._render_template_inline_template(
                template_txt, model, res_ids, add_context, options
            )
        return {record.id: "".join(text) for record, text in zip(records, texts, strict=True)}

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
        # run queues thousands: render them in one go and create them at once.
        Mail = self.env["mail.mail"].sudo()
        vals_list = self._collection_mail_values(res_ids, extra)
        # The chatter's copy is the e-mail's body, stored as rendered when there is nothing to
        # sanitize (see ``_collection_renders_clean``); else ``create`` sanitizes it.
        return (
            Mail._collection_create_mails(vals_list)
            if self._collection_renders_clean()
            else Mail.create(vals_list)
        )

    def _collection_mail_values(self, res_ids, extra=None):
        """The values of this template's e-mails to `res_ids`, as ``send_mail_batch`` makes them
        (without layout), plus `extra`."""
        self._send_check_access(res_ids)
        rendered = self._generate_template(res_ids, MAIL_FIELDS)
        vals_list = []
        for res_id in res_ids:
            vals = rendered[res_id]
            vals.update(extra or {})
            vals.pop("attachments", None)  # rendered reports only, and this template has none
            vals["recipient_ids"] = [Command.link(pid) for pid in vals.get("partner_ids") or []]
            vals["attachment_ids"] = [Command.link(aid) for aid in vals.get("attachment_ids") or []]
            vals["body"] = vals["body_html"]
            if "email_from" in vals and not vals["email_from"]:
                del vals["email_from"]
            vals_list.append(vals)
        return vals_list

    def _collection_renders_clean(self):
        """Whether this template's bodies go into the chatter as rendered, unsanitized.

        The chatter's copy of an e-mail is sanitized, one HTML parse and walk per e-mail: a
        third of a busy day's e-mails. There is nothing to remove from a body that only calls
        the reminder's view as this addon installs it, in every language: its markup is the
        addon's; QWeb escapes every value; the one piece of markup the reminder inserts as is,
        the level's text, comes cleaned by the chatter's rules
        (``res.partner._collection_chatter_text``). A test checks that sanitizing such a body
        removes nothing. Anything else is sanitized, as Odoo does: a body of the template's own,
        the view edited, extended or copied for a website (website designers may edit views),
        a context that changes what QWeb outputs, images pasted into the level's text (Odoo
        moves them out of the body into attachments).
        """
        if any(self.env.context.get(key) for key in ("inherit_branding", "edit_translations", "website_id")):
            return False
        # Every language's body: the e-mails render in their customers' languages.
        bodies = (self._fields["body_html"]._get_stored_translations(self) or {}).values()
        for body in bodies or [self.body_html]:
            called = CALL_ONLY.fullmatch(body or "")
            if not called or called[1] != REMINDER_VIEW:
                return False
        view = self.env.ref(REMINDER_VIEW, raise_if_not_found=False)
        View = self.env["ir.ui.view"].sudo().with_context(active_test=False)
        if (
            not view
            or view.sudo().arch_updated
            or View.search_count(["|", ("inherit_id", "=", view.id), ("key", "=", view.sudo().key)], limit=2)
            > 1
        ):
            return False
        level = self.env["account.collection.ladder.level"].browse(
            self.env.context.get("collection_level_id")
        )
        return "data:" not in (level.sudo().letter_body or "")
