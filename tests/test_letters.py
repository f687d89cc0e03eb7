import ast
import re
from datetime import date, datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time
from lxml import html as lxml_html

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged
from odoo.tools import html_sanitize
from odoo.tools.safe_eval import safe_eval

from odoo.addons.base.models.ir_actions_report import _wkhtml
from odoo.addons.mail.models.mail_mail import MailMail

from ..models.mail_template import CALL_ONLY
from .common import CollectionsCommon

TODAY = date(2026, 6, 15)


def day(n):
    return TODAY + timedelta(days=n)


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestLettersAndViews(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2020-01-01", 2.0)])
        cls.usd_invoice = cls._invoice(cls.customer, 1200, day(-20), invoice_date=day(-50))
        cls.eur_invoice = cls._invoice(cls.customer, 800, day(-12), invoice_date=day(-40), currency=cls.eur)
        cls.levels.filtered(lambda lvl: lvl.name == "Demand").write(
            {
                "letter_title": "Demand for payment",
                "letter_body": "<p>Late payment incurs the penalties of our terms.</p>",
            }
        )
        cls.claim = cls.levels.filtered(lambda lvl: lvl.name == "Claim")
        cls.claim.write(
            {
                "letter_title": "Formal claim",
                "letter_body": "<p>Without payment we will go to court.</p>",
                "payment_days": 7,
                "action_letter": True,
            }
        )
        cls.report = cls.env.ref("account_collections.account_collection_letter_report_history")

    def _letter(self, level):
        return self.env["account.collection.history"].create(
            {
                "partner_id": self.customer.id,
                "level_id": level.id,
                "ladder_id": level.ladder_id.id,
                "date": TODAY,
                "did_letter": True,
                "letter_state": "to_post",
            }
        )

    def _html(self, letters):
        return self.env["ir.actions.report"]._render_qweb_html(self.report, letters.ids)[0].decode()

    def test_letter_html_for_each_level_and_currency(self):
        for level, title, text in (
            (self.levels[0], "Payment reminder", "remain unpaid"),
            (self.levels[2], "Demand for payment", "penalties"),
            (self.claim, "Formal claim", "go to court"),
        ):
            with self.subTest(level=level.name):
                html = self._html(self._letter(level))
                self.assertIn(title, html)
                self.assertIn(text, html)
                self.assertIn(self.usd_invoice.name, html)
                self.assertIn(self.eur_invoice.name, html)
                # Each line in its currency; two currencies are netted in company currency.
                self.assertEqual(html.count("$\xa01,200.00"), 1)
                self.assertEqual(html.count("800.00\xa0€"), 1)
                self.assertIn("Amount due", html)
                self.assertEqual(html.count("$\xa01,600.00"), 1)  # 1,200 + 800 EUR at rate 2
        claim_html = self._html(self._letter(self.claim))
        self.assertIn("Payment must reach us by", claim_html)
        self.assertIn("06/22/2026", claim_html)

    def test_letter_states_exactly_what_is_demanded(self):
        """Due items only; disputed and promised ones listed but left out; what is not yet due
        apart; unmatched credits deducted oldest debt first; the net, where to pay, who to call."""
        debtor = self.env["res.partner"].create(
            {"name": "Netting Ltd", "is_company": True, "email": "ap@netting.example", "ref": "C-0042"}
        )
        due = self._invoice(debtor, 1000, day(-20), invoice_date=day(-50))
        older = self._invoice(debtor, 200, day(-30), invoice_date=day(-60))
        disputed = self._invoice(debtor, 500, day(-15), invoice_date=day(-45))
        disputed.collection_disputed = True
        promised = self._invoice(debtor, 300, day(-10), invoice_date=day(-40))
        self.env["account.collection.promise"].create(
            {
                "partner_id": debtor.id,
                "move_ids": [Command.set(promised.ids)],
                "currency_id": promised.currency_id.id,
                "amount": 300,
                "date": day(5),
            }
        )
        coming = self._invoice(debtor, 250, day(10), invoice_date=day(-5))
        refund = self._invoice(debtor, 150, day(-5), invoice_date=day(-5), move_type="out_refund")
        payment = self._unmatched_credit(debtor, 100, day(-2))
        demand = debtor._collection_demands(TODAY)[debtor.id]
        self.assertEqual([item["name"] for item in demand.due], [older.name, due.name])
        self.assertEqual({item["name"] for item in demand.held}, {disputed.name, promised.name})
        self.assertEqual([item["name"] for item in demand.not_due], [coming.name])
        self.assertEqual({item["name"] for item in demand.credits}, {refund.name, payment.name})
        self.assertAlmostEqual(demand.due_total, 1200)
        self.assertAlmostEqual(demand.credit_total, -250)
        self.assertAlmostEqual(demand.net, 950)
        # Credits settle the oldest due item first.
        self.assertEqual([item["still_due"] for item in demand.due], [0.0, 950.0])

        self.company.partner_id.bank_ids = [
            Command.create({"acc_number": "HU42 1177 3016 1111 1018 0000 0000"})
        ]
        debtor.with_user(self.manager).collection_user_id = self.collector_b
        self.collector_b.email = "b@collections.example"
        html = self._html(
            self.env["account.collection.history"].create(
                {
                    "partner_id": debtor.id,
                    "level_id": self.claim.id,
                    "ladder_id": self.ladder.id,
                    "date": TODAY,
                }
            )
        )
        self.assertIn("Amount due", html)
        self.assertEqual(html.count("$\xa0950.00"), 2)  # the oldest line after credits, and the total
        self.assertNotIn("$\xa01,950.00", html)
        for text in (
            "disputed, not demanded",
            "payment promised, not demanded",
            "Coming due, not yet payable",
            coming.name,
            "Credit in your favour, deducted",
            "HU42 1177 3016 1111 1018 0000 0000",
            "C-0042",
            "Collector B",
            "b@collections.example",
        ):
            self.assertIn(text, html)
        # The reminder e-mail states the same demand.
        mail = debtor._collection_send_reminders(
            self.env.ref("account_collections.mail_template_collection_reminder")
        )
        self.assertIn("$\xa0950.00", mail.body_html)
        self.assertIn("disputed, not demanded", mail.body_html)
        self.assertIn("Collector B", mail.body_html)
        # The reminder renders its view directly (compiled once): exactly what Odoo's own
        # rendering of the template's body, which compiles it for every customer, gives.
        template = self.env.ref("account_collections.mail_template_collection_reminder")
        self.assertTrue(CALL_ONLY.fullmatch(template.body_html))
        ours = template._render_template_qweb(template.body_html, "res.partner", debtor.ids)
        odoos = self.env["mail.render.mixin"]._render_template_qweb(
            template.body_html, "res.partner", debtor.ids
        )
        self.assertIn("$\xa0950.00", ours[debtor.id])
        self.assertEqual(ours, odoos)

    def test_letterhead_survives_the_distributions_wkhtmltopdf(self):
        """wkhtmltopdf on unpatched Qt (the distributions' build) drops the layout's header: the
        PDF letter then carries the company's letterhead in its body; the HTML letter does not
        repeat it."""
        Report = self.env["ir.actions.report"]
        letter = self._letter(self.claim)
        unpatched = type("Wkhtml", (), {"is_patched_qt": False})()
        with patch(
            "odoo.addons.account_collections.models.res_partner_dunning._wkhtml", return_value=unpatched
        ):
            pdf_html = Report._render_qweb_html(self.report, letter.ids, data={"report_type": "pdf"})[
                0
            ].decode()
            html = Report._render_qweb_html(self.report, letter.ids)[0].decode()
        self.assertIn('name="collection_letterhead"', pdf_html)
        self.assertIn(self.company.name, pdf_html.split('name="collection_letterhead"')[1])
        self.assertNotIn('name="collection_letterhead"', html)
        patched = type("Wkhtml", (), {"is_patched_qt": True})()
        with patch(
            "odoo.addons.account_collections.models.res_partner_dunning._wkhtml", return_value=patched
        ):
            pdf_html = Report._render_qweb_html(self.report, letter.ids, data={"report_type": "pdf"})[
                0
            ].decode()
        self.assertNotIn('name="collection_letterhead"', pdf_html, "the layout's header does it")

    def test_letter_pdf(self):
        Report = self.env["ir.actions.report"]
        if Report.get_wkhtmltopdf_state() not in ("ok", "upgrade"):
            self.skipTest("wkhtmltopdf is not installed")
        pdf, kind = Report.with_context(force_report_rendering=True)._render_qweb_pdf(
            self.report, self._letter(self.claim).ids
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_send_reminder_logs_on_customer_and_invoices(self):
        wizard = Form(
            self.env["account.collection.reminder.send"]
            .with_user(self.collector)
            .with_context(active_model="account.move", active_ids=self.usd_invoice.ids)
        ).save()
        self.assertEqual(wizard.partner_ids, self.customer)
        wizard.attach_letter = False
        wizard.action_send()
        mail = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        self.assertEqual(len(mail), 1)
        self.assertIn(self.eur_invoice.name, mail.body_html)
        for record in (self.customer, self.usd_invoice, self.eur_invoice):
            self.assertIn("Reminder e-mailed", record.message_ids[0].body)

    def _shape(self, html):
        """Every element of `html` with its attributes and text: what a sanitizer may remove
        (style declarations compared without their blanks, which it rewrites)."""
        shape = []
        for element in lxml_html.fromstring(f"<div>{html}</div>").iter():
            attributes = {
                name: re.sub(r"\s|;$", "", value) if name == "style" else value
                for name, value in element.attrib.items()
            }
            shape.append(
                (element.tag, attributes, (element.text or "").strip(), (element.tail or "").strip())
            )
        return shape

    def test_reminder_goes_into_the_chatter_as_sent_and_as_clean(self):
        """The reminder's chatter copy is its e-mail's body, not sanitized again: the body is
        the reminder's view with escaped values and the level's text cleaned by the chatter's
        rules, so sanitizing it would remove nothing. A body written in the template (in any
        language), or the view extended, is sanitized, as Odoo does."""
        self.claim.letter_body = (
            '<p style="color: #aa0000; position: fixed; top: 0">Pay within eight days.</p>'
        )
        self.customer.name = 'Dupont <script>alert("x")</script> & Fils'
        self._invoice(self.customer, 90, day(-3), invoice_date=day(-3), move_type="out_refund")
        self._invoice(self.customer, 300, day(12), invoice_date=day(-2))
        self._invoice(self.customer, 70, day(-8), invoice_date=day(-38)).collection_disputed = True
        self.customer.with_user(self.manager).collection_user_id = self.collector_b
        self.collector_b.write({"email": "b@collections.example", "phone": "+36 1 555 0100"})
        self.company.partner_id.bank_ids = [
            Command.create({"acc_number": "HU42 1177 3016 1111 1018 0000 0000"})
        ]
        template = self.env.ref("account_collections.mail_template_collection_reminder")
        mail = self.customer._collection_send_reminders(template, level=self.claim, attach_letter=False)
        message = mail.mail_message_id
        self.assertIn("Pay within eight days.", mail.body_html)
        self.assertIn("&lt;script&gt;", mail.body_html)
        for shown in ("disputed, not demanded", "Coming due", "Credit in your favour", "+36 1 555 0100"):
            self.assertIn(shown, mail.body_html)
        self.assertNotIn("position", mail.body_html)  # the level's text, cleaned by the chatter's rules
        self.assertEqual(message.body, mail.body_html)
        chatter = self.env["mail.message"]._fields["body"]
        sanitized = html_sanitize(
            message.body,
            sanitize_tags=chatter.sanitize_tags,
            sanitize_attributes=chatter.sanitize_attributes,
            sanitize_style=chatter.sanitize_style,
            sanitize_form=chatter.sanitize_form,
            strip_style=chatter.strip_style,
            strip_classes=chatter.strip_classes,
        )
        self.assertEqual(self._shape(sanitized), self._shape(message.body))
        # A body of the template's own markup: the chatter's copy is sanitized.
        own = template.copy({"body_html": '<p style="position: fixed">Dear <t t-out="object.name"/></p>'})
        mail = self.customer._collection_send_reminders(own, level=self.claim, attach_letter=False)
        self.assertIn("position", mail.body_html)
        self.assertNotIn("position", mail.mail_message_id.body)
        self.assertIn("Dear Dupont", mail.mail_message_id.body)
        # The view extended (a website designer may edit views): sanitized, as Odoo does
        # (which rewrites the view's styles: the copy differs from the e-mail).
        extension = self.env["ir.ui.view"].create(
            {
                "name": "reminder extended",
                "type": "qweb",
                "inherit_id": self.env.ref("account_collections.mail_collection_reminder_body").id,
                "arch": '<xpath expr="//table" position="before"><p onclick="steal()">Extra</p></xpath>',
            }
        )
        mail = self.customer._collection_send_reminders(template, level=self.claim, attach_letter=False)
        self.assertIn('onclick="steal()"', mail.body_html)
        self.assertNotIn("onclick", mail.mail_message_id.body)
        self.assertIn("Extra", mail.mail_message_id.body)
        extension.unlink()
        # Another language's body written in the template: every reminder is sanitized.
        self.env["res.lang"]._activate_lang("fr_FR")
        template.with_context(lang="fr_FR").body_html = '<p>Bonjour <t t-out="object.name"/></p>'
        mail = self.customer._collection_send_reminders(template, level=self.claim, attach_letter=False)
        self.assertIn("Pay within eight days.", mail.body_html)
        self.assertNotEqual(mail.mail_message_id.body, mail.body_html)
        self.assertEqual(
            self._shape(mail.mail_message_id.body), self._shape(message.body)
        )  # the same reminder, sanitized

    def test_reminders_queued_at_once_are_stored_as_create_stores_them(self):
        """A batch of reminders goes in one INSERT per table: each e-mail, its chatter message
        and their recipients hold what ``create`` stores from the same values."""
        second = self.env["res.partner"].create({"name": "Second Customer", "email": "second@example.com"})
        self._invoice(second, 400, day(-9), invoice_date=day(-39))
        partners = self.customer | second
        template = self.env.ref("account_collections.mail_template_collection_reminder").with_context(
            collection_level_id=self.claim.id
        )
        extra = {"collection_letter_company_id": self.company.id, "collection_letter_level_id": self.claim.id}
        Mail = self.env["mail.mail"].sudo()
        created = Mail.create(template._collection_mail_values(partners.ids, extra))
        self.assertTrue((self.customer | second).message_ids)  # read, kept in the cache
        vals_list = template._collection_mail_values(partners.ids, extra)
        # One INSERT per table for each chunk of e-mails: here one e-mail a chunk.
        with (
            patch.object(MailMail, "create", side_effect=AssertionError("created one by one")),
            patch("odoo.addons.account_collections.models.mail_mail.MAIL_CHUNK", 1),
        ):
            inserted = Mail._collection_create_mails(vals_list)
        self.assertEqual(inserted.mapped("res_id"), partners.ids)
        # The customers' chatters, read before, show them without a reload.
        self.assertLessEqual(inserted.mail_message_id, self.customer.message_ids | second.message_ids)
        self.env.invalidate_all()
        # The body is stored as rendered, where ``create`` sanitizes it (rewriting its styles'
        # blanks, removing nothing: see the chatter's test above).
        volatile = {
            "id",
            "mail_message_id",
            "mail_ids",
            "message_id",
            "create_date",
            "write_date",
            "date",
            "body",
        }
        for ours, odoo in zip(inserted, created, strict=True):
            for model in (ours, ours.mail_message_id):
                theirs = odoo if model._name == "mail.mail" else odoo.mail_message_id
                for name, field in model._fields.items():
                    if (
                        name in volatile
                        or not field.store
                        or (model._name == "mail.mail" and field.inherited)
                    ):
                        continue
                    with self.subTest(model=model._name, field=name):
                        self.assertEqual(model[name], theirs[name])
            self.assertEqual(ours.mail_message_id.mail_ids, ours)
            self.assertEqual(ours.mail_message_id.body, ours.body_html)
            self.assertEqual(self._shape(ours.mail_message_id.body), self._shape(odoo.mail_message_id.body))
            self.assertIn(f"-openerp-{ours.res_id}-res.partner@", ours.mail_message_id.message_id)
            self.assertNotEqual(ours.mail_message_id.message_id, odoo.mail_message_id.message_id)
            self.assertAlmostEqual(ours.date, odoo.date, delta=timedelta(seconds=5))
        self.assertEqual(inserted.recipient_ids, partners)
        self.assertEqual(inserted.mail_message_id.partner_ids, partners)
        self.assertLessEqual(inserted.mail_message_id, self.customer.message_ids | second.message_ids)
        # An e-mail with an attachment is left to ``create``, which links it.
        attachment = self.env["ir.attachment"].create({"name": "terms.txt", "raw": b"terms"})
        vals_list = template._collection_mail_values(partners.ids)
        vals_list[0]["attachment_ids"] = [Command.link(attachment.id)]
        self.assertEqual(Mail._collection_create_mails(vals_list)[0].attachment_ids, attachment)

    def test_subjects_of_a_batch_read_as_one_by_one(self):
        """A batch's subjects and addresses are each one expression evaluated over all its
        customers: each reads as when rendered alone, defaults, comments and falsy values
        included; an expression that fails says so in Odoo's words."""
        other = self.env["res.partner"].create({"name": "Zeta & Co", "email": False})
        unnamed = self.env["res.partner"].create({"name": "0", "email": "zero@example.com"})
        partners = self.customer | other | unnamed
        template = self.env.ref("account_collections.mail_template_collection_reminder")
        texts = {
            "subject": template.subject,
            "odd": "{{ object.email or '' }}|{{ object.email # no e-mail }}|{{ object.email ||| nobody }}"
            "|{{ len(object.name) > 3 and object.name.upper() }}|{{ object.id == OTHER }}".replace(
                "OTHER", str(other.id)
            ),
        }
        for name, text in texts.items():
            with (
                self.subTest(name),
                patch(
                    "odoo.addons.account_collections.models.mail_template.safe_eval", wraps=safe_eval
                ) as evaluate,
            ):
                together = template._render_template_inline_template(text, "res.partner", partners.ids)
                # Once per expression, not once per expression and customer.
                self.assertEqual(evaluate.call_count, text.count("{{"))
                alone = {
                    partner.id: template._render_template_inline_template(text, "res.partner", [partner.id])[
                        partner.id
                    ]
                    for partner in partners
                }
                self.assertEqual(together, alone)
        self.assertEqual(
            template._render_template_inline_template(
                "{{ object.name }}/{{ object.email }}", "res.partner", partners.ids
            )[other.id],
            "Zeta & Co/",
        )
        # What is not an expression on its own fails as when rendered alone, though it would
        # make one inside the batch's list.
        for text in ("{{ object.name.nothing() }}", "{{ 1) if 0 else (2 }}", "{{ c for c in object.name }}"):
            with self.subTest(text):
                for ids in (partners.ids, other.ids):
                    with self.assertRaisesRegex(UserError, "Failed to render inline_template"):
                        template._render_template_inline_template(text, "res.partner", ids)

    def test_send_reminder_shows_who_gets_what_and_skips_who_owes_nothing(self):
        paid_up = self.env["res.partner"].create({"name": "Paid Up Ltd", "email": "ap@paidup.example"})
        self._invoice(paid_up, 300, day(-10))
        self._unmatched_credit(paid_up, 300, day(-2))
        form = Form(
            self.env["account.collection.reminder.send"]
            .with_user(self.collector)
            .with_context(active_model="res.partner", active_ids=(self.customer | paid_up).ids)
        )
        self.assertIn(self.customer.email, form.recipients)
        self.assertNotIn("paidup", form.recipients)
        self.assertIn(self.usd_invoice.name, str(form.preview))
        wizard = form.save()
        self.assertEqual(wizard.owing_nothing_ids, paid_up)
        wizard.attach_letter = False
        action = wizard.action_send()
        self.assertEqual(action["tag"], "display_notification")
        # One of each: the singular strings.
        self.assertEqual(
            action["params"]["message"], "1 reminder queued. 1 customer owing nothing was left out."
        )
        mails = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "in", (self.customer | paid_up).ids)]
        )
        self.assertEqual(mails.mapped("res_id"), self.customer.ids)

    def test_amounts_read_as_the_currency_formats_them(self):
        """Letters, e-mails and call notes format amounts the way ``currency.format`` does, in
        each language: separators, symbol before or after, negative and rounded amounts."""
        self.env["res.lang"]._activate_lang("hu_HU")
        usd, eur = self.env.ref("base.USD"), self.env.ref("base.EUR")
        usd.active = eur.active = True
        amounts = (0.0, -0.0, 0.005, 7.5, -1234.5, 1234567.891)
        for lang in ("en_US", "hu_HU"):
            Partner = self.env["res.partner"].with_context(lang=lang)
            amount_text = Partner._collection_formatters()[1]
            for currency in (usd.with_context(lang=lang), eur.with_context(lang=lang)):
                for amount in amounts:
                    self.assertEqual(amount_text(currency, amount), currency.format(amount), (lang, amount))

    def test_send_reminder_counts_in_the_plural(self):
        others = self.env["res.partner"].create(
            [
                {"name": "Second Debtor", "email": "ap@second.example"},
                {"name": "No Mail Ltd"},
                {"name": "No Mail Either Ltd"},
            ]
        )
        for partner in others:
            self._invoice(partner, 100, day(-10))
        wizard = Form(
            self.env["account.collection.reminder.send"]
            .with_user(self.collector)
            .with_context(active_model="res.partner", active_ids=(self.customer | others).ids)
        ).save()
        wizard.attach_letter = False
        message = wizard.action_send()["params"]["message"]
        self.assertEqual(
            message,
            "2 reminders queued. 2 customers without an e-mail address: a task for their collector.",
        )

    def test_translations_load_and_letter_reads_in_russian(self):
        """ru_RU and hu_HU load from i18n/; a formal claim renders in the customer's language."""
        for code in ("ru_RU", "hu_HU"):
            self.env["res.lang"]._activate_lang(code)
        self.env["ir.module.module"]._load_module_terms(
            ["account_collections"], ["ru_RU", "hu_HU"], overwrite=True
        )
        claim = self.env.ref("account_collections.account_collection_level_formal_claim").sudo()
        self.assertEqual(claim.with_context(lang="ru_RU").letter_title, "Официальная претензия")
        self.assertEqual(claim.with_context(lang="hu_HU").letter_title, "Hivatalos fizetési felszólítás")
        amount = self.env["ir.model.fields"]._get("account.collection.promise", "amount")
        self.assertEqual(amount.with_context(lang="hu_HU").field_description, "Összeg")
        self.assertEqual(self.env(context={"lang": "ru_RU"})._("Payment reminder"), "Напоминание об оплате")
        self.customer.lang = "ru_RU"
        # The shipped ladder is the main company's: a letter renders a level of the user's
        # companies only, whatever level id the context carries.
        self.env.user.company_ids |= claim.company_id
        partner_report = self.env.ref("account_collections.account_collection_letter_report_partner")
        html = (
            self.env["ir.actions.report"]
            .with_context(collection_level_id=claim.id)
            ._render_qweb_html(partner_report, self.customer.ids)[0]
            .decode()
        )
        for text in ("Официальная претензия", "Несмотря на наши напоминания", "Уважаемые", "Дней просрочки"):
            self.assertIn(text, html)
        self.assertIn("Оплата должна поступить к нам не позднее", html)
        self.assertNotIn("Dear", html)

    def _wkhtmltopdf_or_skip(self):
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() not in ("ok", "upgrade"):
            self.skipTest("wkhtmltopdf is not installed")

    def test_send_reminder_attaches_the_letter(self):
        """The letter PDF is rendered when the queue sends the e-mail, one wkhtmltopdf run per batch."""
        self._wkhtmltopdf_or_skip()
        other = self.env["res.partner"].create({"name": "Other Debtor", "email": "other@x.example"})
        other_invoice = self._invoice(other, 300, day(-20))
        self.env["account.collection.reminder.send"].create(
            {"partner_ids": (self.customer | other).ids, "attach_letter": True}
        ).action_send()
        mails = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "in", (self.customer | other).ids)]
        )
        self.assertEqual(len(mails), 2)
        self.assertEqual(mails.collection_letter_company_id, self.company)
        self.assertFalse(mails.attachment_ids, "rendered when sent, not when queued")
        Report = type(self.env["ir.actions.report"])
        with patch.object(
            Report, "_run_wkhtmltopdf", autospec=True, side_effect=Report._run_wkhtmltopdf
        ) as run:
            mails.send()
        self.assertEqual(mails.mapped("failure_reason"), [False, False])
        # One wkhtmltopdf run for both letters where its Qt can do it, else one each.
        self.assertEqual(run.call_count, 1 if _wkhtml().is_patched_qt else 2)
        for mail in mails:
            self.assertEqual(len(mail.attachment_ids), 1)
            self.assertEqual(mail.attachment_ids.name, "Dunning letter.pdf")
            self.assertTrue(mail.attachment_ids.raw.startswith(b"%PDF"))
        self.assertFalse(mails.collection_letter_company_id)
        self.assertNotEqual(mails[0].attachment_ids.raw, mails[1].attachment_ids.raw)
        # Each customer's PDF holds its own letter: the HTML Odoo split it from names its invoices.
        partner_report = self.env.ref("account_collections.account_collection_letter_report_partner")
        html = self.env["ir.actions.report"]._render_qweb_html(partner_report, other.ids)[0].decode()
        self.assertIn(other_invoice.name, html)
        self.assertNotIn(self.usd_invoice.name, html)

    def test_letter_failure_is_visible_and_retried(self):
        """A letter that cannot be rendered fails its e-mail visibly; Retry renders it again."""
        self._wkhtmltopdf_or_skip()
        self.env["account.collection.reminder.send"].create(
            {"partner_ids": self.customer.ids, "attach_letter": True}
        ).action_send()
        mail = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        Report = type(self.env["ir.actions.report"])
        with patch.object(Report, "_run_wkhtmltopdf", side_effect=OSError("wkhtmltopdf crashed")):
            mail.send()
        self.assertEqual(mail.state, "exception")
        self.assertIn("wkhtmltopdf crashed", mail.failure_reason)
        self.assertFalse(mail.attachment_ids)
        self.assertEqual(mail.collection_letter_company_id, self.company, "the letter is still owed")
        self.assertIn("could not be rendered", self.customer.message_ids[0].body)
        mail.action_retry()
        self.assertEqual(mail.state, "outgoing")
        mail.send()
        self.assertEqual(len(mail.attachment_ids), 1)

    def test_letters_render_off_the_mail_queue(self):
        """The mail queue never renders a letter: it sends the other e-mail at once and leaves
        letter e-mails to the letters' job, which renders them and hands them back."""
        self._wkhtmltopdf_or_skip()
        letters_job = self.env.ref("account_collections.ir_cron_collection_letters")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", letters_job.id)])
        self.env["account.collection.reminder.send"].create(
            {"partner_ids": self.customer.ids, "attach_letter": True}
        ).action_send()
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", letters_job.id)]), triggers
        )
        letter_mail = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        other = self.env["mail.mail"].create(
            {"subject": "Password reset", "email_to": "someone@x.example", "body_html": "<p>Reset</p>"}
        )
        Mail = self.env["mail.mail"]
        sent = []

        def send(mails, *args, **kwargs):
            sent.append(mails)

        with patch.object(type(Mail), "send", send):
            Mail.process_email_queue()
            self.assertIn(other, sent[0])
            self.assertNotIn(letter_mail, sent[0], "the queue leaves letter e-mails to the letters' job")
            done = Mail._cron_collection_letters()
            self.assertEqual(done, letter_mail)
            self.assertEqual(len(letter_mail.attachment_ids), 1)
            self.assertFalse(letter_mail.collection_letter_company_id)
            Mail.process_email_queue()
            self.assertIn(letter_mail, sent[1], "then the queue sends it with its letter")

    def test_batch_sending_is_bounded(self):
        def send(count):
            partners = self.env["res.partner"].create(
                [{"name": f"Batch {count}-{i}", "email": f"b{count}-{i}@x.example"} for i in range(count)]
            )
            for partner in partners:
                self._invoice(partner, 100, day(-5))
            wizard = self.env["account.collection.reminder.send"].create(
                {"partner_ids": partners.ids, "attach_letter": False}
            )
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            wizard.action_send()
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        send(2)  # warm-up
        small, large = send(10), send(50)
        self.assertLessEqual(large - small, 60, f"10 customers: {small} queries, 50 customers: {large}")

    def test_letters_to_post(self):
        letter = self._letter(self.claim)
        action = self.env.ref("account_collections.account_collection_history_action_letters")
        domain = [*ast.literal_eval(action.domain), ("letter_state", "=", "to_post")]
        self.assertIn(letter, self.env["account.collection.history"].search(domain))
        letter.action_mark_posted()
        self.assertEqual(letter.letter_state, "posted")
        self.assertEqual(letter.letter_posted_date, TODAY)

    def test_hand_customer_to_another_collector(self):
        self.env["account.collection.run"]._collection_run(self.company, today=TODAY)
        self.customer.activity_schedule(
            "account_collections.mail_activity_type_collection_call", user_id=self.collector.id
        )
        wizard = Form(
            self.env["account.collection.reassign"]
            .with_user(self.manager)
            .with_context(active_model="res.partner", active_ids=self.customer.ids)
        )
        wizard.user_id = self.collector_b
        wizard.reason = "Holiday cover"
        wizard.save().action_reassign()
        self.assertEqual(self.customer.collection_user_id, self.collector_b)
        calls = self.customer.activity_ids.filtered(
            lambda a: a.activity_type_id
            == self.env.ref("account_collections.mail_activity_type_collection_call")
        )
        self.assertEqual(calls.user_id, self.collector_b)
        self.assertIn("Holiday cover", self.customer.message_ids[0].body)
        with self.assertRaises(AccessError):
            self.env["account.collection.reassign"].with_user(self.collector).create(
                {"partner_ids": self.customer.ids, "user_id": self.collector.id, "reason": "x"}
            )


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestReportViews(CollectionsCommon):
    """The worklist and aging count days to the user's today, which the tests freeze."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2020-01-01", 2.0)])
        cls.usd_invoice = cls._invoice(cls.customer, 1200, day(-20), invoice_date=day(-50))
        cls.eur_invoice = cls._invoice(cls.customer, 800, day(-12), invoice_date=day(-40), currency=cls.eur)

    def test_worklist_shows_due_calls_by_priority(self):
        small = self.env["res.partner"].create({"name": "Small Debtor", "email": "s@x.example"})
        self._invoice(small, 50, day(-2))
        # A week ago the customer got the demand; today the claim's call is due.
        self.env["account.collection.run"]._collection_run(self.company, today=day(-7))
        self.env["account.collection.run"]._collection_run(self.company, today=TODAY)
        rows = (
            self.env["account.collection.worklist"]
            .with_user(self.collector)
            .search([("user_id", "=", self.collector.id), ("date_deadline", "<=", TODAY)])
        )
        self.assertEqual(rows.partner_id, self.customer | small)
        self.assertEqual(rows[0].partner_id, self.customer)  # bigger and older debt first
        top = rows[0]
        self.assertAlmostEqual(top.overdue_amount, 1200 + 400)  # the EUR invoice at rate 2
        self.assertEqual(top.overdue_days, 20)
        # The score says why: amount and days, and how the customer paid before.
        self.assertIn("overdue for 20 days", top.priority_reasons)
        self.assertAlmostEqual(top.priority, 1600 * 20)
        self.assertEqual(top.email, self.customer.email)
        self.assertTrue(top.level_id)
        action = top.action_log_call()
        self.assertEqual(action["res_model"], "account.collection.call.register")
        self.assertEqual(action["context"]["default_activity_id"], top.activity_id.id)
        # Days count to the user's today, not the database server's.
        with freeze_time(day(11)):
            self.env.invalidate_all()
            later = self.env["account.collection.worklist"].browse(top.id)
            self.assertEqual(later.overdue_days, 31)
            aging = self.env["account.collection.aging"].search([("partner_id", "=", self.customer.id)])
            self.assertEqual(set(aging.mapped("bucket")), {"1_30", "31_60"})

    def test_worklist_reasons_read_one_a_line(self):
        """The "Why" column wraps a line per reason, and one of a kind reads in the singular."""
        Worklist = self.env["account.collection.worklist"]
        row = Worklist.new(
            {
                "currency_id": self.currency.id,
                "overdue_amount": 50,
                "overdue_days": 1,
                "broken_promises": 1,
                "days_late": 1.2,
                "disputed_count": 1,
            }
        )
        self.assertEqual(
            row.priority_reasons.split("\n"),
            ["$\xa050.00 overdue for 1 day", "1 broken promise", "pays 1 day late on average", "1 disputed"],
        )
        row = Worklist.new(
            {"currency_id": self.currency.id, "overdue_amount": 50, "overdue_days": 3, "broken_promises": 2}
        )
        self.assertEqual(
            row.priority_reasons.split("\n"), ["$\xa050.00 overdue for 3 days", "2 broken promises"]
        )

    def test_call_times_are_wall_clock_times_of_the_customer(self):
        """A 10:00 call is 10:00 where the customer is: in its time zone when it has one, else in
        the collection calendar's; stored in UTC, each user's browser shows it in their own."""
        self.company.resource_calendar_id.tz = "Europe/Moscow"  # UTC+3 all year
        budapest = self.env["res.partner"].create({"name": "Budapest Debtor", "tz": "Europe/Budapest"})
        Activity = self.env["mail.activity"].sudo()
        call_type = self.env.ref("account_collections.mail_activity_type_collection_call")
        for partner in (self.customer, budapest):
            Activity.create(
                {
                    "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "res_id": partner.id,
                    "activity_type_id": call_type.id,
                    "date_deadline": date(2026, 6, 15),
                    "user_id": self.collector.id,
                    "summary": "Due call at 10:00",
                    "collection_call_time": 10.0,
                }
            )
        rows = self.env["account.collection.worklist"].search(
            [("partner_id", "in", (self.customer | budapest).ids)]
        )
        call_at = {row.partner_id: row.call_at for row in rows}
        self.assertEqual(call_at[self.customer], datetime(2026, 6, 15, 7, 0))  # 10:00 in Moscow
        self.assertEqual(call_at[budapest], datetime(2026, 6, 15, 8, 0))  # 10:00 in Budapest (summer)
        self.assertEqual(
            rows.filtered(lambda r: r.partner_id == budapest).display_name,
            "Budapest Debtor: Due call at 10:00",
        )

    def test_aging_report_and_dso(self):
        rows = self.env["account.collection.aging"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(set(rows.mapped("bucket")), {"1_30"})
        self.assertAlmostEqual(sum(rows.mapped("residual")), 1600)
        self.assertGreater(self.customer.collection_dso, 0)

    def test_actions_evaluate_in_the_web_client(self):
        """Every window action's domain and context evaluate with what the web client offers
        (no server-only names such as ``ref``), else its menu opens on an error."""
        data = self.env["ir.model.data"].search(
            [("module", "=", "account_collections"), ("model", "=", "ir.actions.act_window")]
        )
        actions = self.env["ir.actions.act_window"].browse(data.mapped("res_id"))
        self.assertGreater(len(actions), 10)
        client_names = {
            "uid": self.env.uid,
            "context_today": lambda: fields.Date.context_today(self.env.user),
            "allowed_company_ids": self.env.companies.ids,
            "active_id": False,
            "active_ids": [],
        }
        for action in actions:
            with self.subTest(action=action.name):
                domain = safe_eval(action.domain or "[]", dict(client_names))
                self.env[action.res_model].search(domain, limit=1)
                safe_eval(action.context or "{}", dict(client_names))
