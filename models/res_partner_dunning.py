"""Dunning letters and reminders: what a demand states, and how it reaches the customer."""

import ast
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_round, format_date, get_lang, split_every

from odoo.addons.base.models.ir_actions_report import _wkhtml
from odoo.addons.base.models.res_lang import intersperse

NBSP = "\N{NO-BREAK SPACE}"

# Customers per wkhtmltopdf run when letters are rendered in batch.
LETTER_CHUNK = 50


class CollectionDemand:
    """What one customer is asked to pay on a day: its open receivable items, sorted out.

    - ``due``: items due on or before the day, neither disputed nor under an open promise to
      pay: they make the demand;
    - ``held``: due items that are disputed or under an open promise: shown, never demanded;
    - ``not_due``: items falling due later: shown apart, never demanded;
    - ``credits``: unmatched payments, open credit notes, overpayments: deducted from the
      due items, oldest due first (each due item's ``still_due`` says what is left of it,
      ``credited`` which credits settled the rest, with their dates; ``credit_left`` what the
      credits leave over).

    Amounts are in one currency (``currency_id``): the items' own currency when all due
    items and credits share it, else the company currency. ``net_company`` is the net in
    company currency, what thresholds and minimum amounts compare with.
    """

    def __init__(self, partner_id, company_currency_id, items, today):
        self.partner_id, self.today = partner_id, today
        self.due, self.held, self.not_due, self.credits = [], [], [], []
        for item in items:
            if item["residual"] < 0:
                self.credits.append(item)
            elif item["due"] > today:
                self.not_due.append(item)
            elif item["disputed"] or item["promised"]:
                self.held.append(item)
            else:
                self.due.append(item)
        counted = self.due + self.credits
        currencies = {item["currency_id"] for item in counted}
        self.currency_id = currencies.pop() if len(currencies) == 1 else company_currency_id
        key = "amount" if self.currency_id != company_currency_id else "residual"
        for item in self.due + self.held + self.not_due + self.credits:
            item["value"] = item[key]
        self.due_total = sum(item["value"] for item in self.due)
        self.credit_total = sum(item["value"] for item in self.credits)
        self.net = max(self.due_total + self.credit_total, 0.0)
        self.net_company = max(
            sum(item["residual"] for item in self.due) + sum(item["residual"] for item in self.credits), 0.0
        )
        # Credits settle the oldest due items first, the oldest credit first. Each due item
        # keeps which credits settled it and from when (``credited``: [(date, value)]), so that
        # interest stops on a payment received but not yet matched.
        credits = [[item["date"], -item["value"]] for item in sorted(self.credits, key=lambda c: c["date"])]
        for item in self.due:
            item["credited"], left = [], item["value"]
            for credit in credits:
                used = min(left, credit[1])
                if used > 0:
                    item["credited"].append((credit[0], used))
                    credit[1] -= used
                    left -= used
            item["still_due"] = left
        # What the credits leave once the due items are settled (promised items may take it).
        self.credit_left = sum(credit[1] for credit in credits)


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _collection_demands(self, today=None):
        """{commercial partner id: CollectionDemand} for these customers in the current company,
        in one query: the rule every letter, reminder e-mail, call note and the daily run
        follow to decide what is owed."""
        today = today or fields.Date.context_today(self)
        partner_ids = list(set(self.commercial_partner_id.ids))
        if not partner_ids:
            return {}
        self._collection_flush_open_items()
        self.env["account.move.line"].flush_model(
            ["move_name", "date", "date_maturity", "amount_residual_currency", "collection_item_id"]
        )
        self.env["account.collection.item"].flush_model(["level_id", "level_sequence"])
        self.env["account.move"].flush_model(["collection_disputed"])
        self.env["account.collection.promise"].flush_model(["state", "move_ids"])
        query = SQL(
            """
            SELECT customer.commercial_partner_id, aml.id, aml.move_id, aml.move_name, aml.date,
                   COALESCE(aml.date_maturity, aml.date), aml.amount_residual,
                   aml.amount_residual_currency, aml.currency_id, item.level_id, item.level_sequence,
                   EXISTS(SELECT 1 FROM account_move move
                           WHERE move.id = aml.move_id AND move.collection_disputed),
                   EXISTS(SELECT 1 FROM account_collection_promise_move_rel rel
                            JOIN account_collection_promise promise ON promise.id = rel.promise_id
                           WHERE rel.move_id = aml.move_id AND promise.state = 'open')
            %s
            ORDER BY customer.commercial_partner_id, COALESCE(aml.date_maturity, aml.date), aml.id
            """,
            self._collection_open_items_sql(
                SQL("customer.commercial_partner_id = ANY(%s)", partner_ids),
                SQL("LEFT JOIN account_collection_item item ON item.id = aml.collection_item_id"),
            ),
        )
        items = defaultdict(list)
        names = (
            "id",
            "move_id",
            "name",
            "date",
            "due",
            "residual",
            "amount",
            "currency_id",
            "level_id",
            "level_sequence",
            "disputed",
            "promised",
        )
        for partner_id, *values in self.env.execute_query(query):
            items[partner_id].append(dict(zip(names, values, strict=True)))
        currency_id = self.env.company.currency_id.id
        return {
            partner_id: CollectionDemand(partner_id, currency_id, items[partner_id], today)
            for partner_id in partner_ids
        }

    def _collection_demand(self, today=None):
        """This customer's demand on `today`; batch senders (the daily run, the reminder
        wizard) compute them beforehand for all their customers, on their day
        (``_collection_prefetch_demands``)."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        prefetched = self.env.cr.cache.get("collection_demands", {}).get(commercial.id)
        if prefetched and (today is None or prefetched.today == today):
            return prefetched
        return commercial._collection_demands(today)[commercial.id]

    @api.model
    def _collection_prefetch_open_moves(self, partners):
        """Find the customers' entries with open items in one query before reminders render.

        Rendering goes customer by customer; ``_collection_overdue_moves`` reads the result
        from the cursor's cache (until ``_collection_forget_open_moves``).
        """
        partners = self.env["res.partner"].browse([p.id for p in partners]).commercial_partner_id
        by_partner = {partner_id: [] for partner_id in partners.ids}
        for partner_id, move_id in self._collection_open_move_rows(partners.ids):
            if move_id not in by_partner[partner_id]:
                by_partner[partner_id].append(move_id)
        self.env.cr.cache.setdefault("collection_open_moves", {}).update(by_partner)

    @api.model
    def _collection_open_move_rows(self, partner_ids):
        """[(customer id, entry id)] of the customers' open items, earliest due first."""
        self._collection_flush_open_items()
        return self.env.execute_query(
            SQL(
                "SELECT customer.commercial_partner_id, aml.move_id %s AND aml.amount_residual > 0 "
                "ORDER BY customer.commercial_partner_id, COALESCE(aml.date_maturity, aml.date), aml.id",
                self._collection_open_items_sql(SQL("customer.commercial_partner_id = ANY(%s)", partner_ids)),
            )
        )

    @api.model
    def _collection_forget_open_moves(self):
        self.env.cr.cache.pop("collection_open_moves", None)

    @api.model
    def _collection_prefetch_demands(self, demands):
        """Keep the customers' demands (each of its day) for the reminders about to render
        (``res.partner._collection_demand`` reads them, until ``_collection_forget_demands``)."""
        self.env.cr.cache.setdefault("collection_demands", {}).update(demands)

    @api.model
    def _collection_forget_demands(self):
        self.env.cr.cache.pop("collection_demands", None)

    def _collection_invoice_contact(self):
        """Who receives reminders: the invoicing address with an e-mail, else the customer."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        contact = commercial.child_ids.filtered(lambda c: c.type == "invoice" and c.email)[:1]
        return contact or commercial

    def _collection_overdue_moves(self):
        """Entries this customer still owes on in the current company (invoices, debit notes,
        opening balances, manual entries), earliest item due first (for calls and reminders).

        Batch senders load them beforehand for all their customers
        (``_collection_prefetch_open_moves``).
        """
        self.ensure_one()
        commercial = self.commercial_partner_id
        prefetched = self.env.cr.cache.get("collection_open_moves", {}).get(commercial.id)
        if prefetched is None:
            rows = self._collection_open_move_rows([commercial.id])
            prefetched = list(dict.fromkeys(move_id for _partner_id, move_id in rows))
        return self.env["account.move"].browse(prefetched)

    def _collection_letter_level(self):
        """Level a reminder speaks for: the one in the context (a ladder step sending it), else
        the highest level reached by the customer's open invoices."""
        self.ensure_one()
        if level_id := self.env.context.get("collection_level_id"):
            return self.env["account.collection.ladder.level"].browse(level_id)._collection_of_user()
        demand = self._collection_demand()
        items = [item for item in demand.due + demand.held + demand.not_due if item["level_id"]]
        top = max(items, key=lambda item: (item["level_sequence"], item["level_id"]), default=None)
        return self.env["account.collection.ladder.level"].browse(top and top["level_id"])

    def _collection_reminder_values(self, letter_date=None):
        """What reminders and letters show, in the customer's language: the level's title and
        text (level from the context), the demand (``_collection_demands``: due items, those
        held back and why, credits deducted, the net amount, items not yet due), the date by
        which payment must arrive for levels that set one, where to pay and who to talk to."""
        self.ensure_one()
        partner = self.with_context(lang=self.lang or self.env.lang)
        env = partner.env
        demand = partner._collection_demand(letter_date)
        today = demand.today
        # The level comes with the context (reports get nothing else); only a level of the
        # user's companies is read, whatever a client puts there.
        level = env["account.collection.ladder.level"].browse(env.context.get("collection_level_id"))
        level = level._collection_of_user()
        date_text, amount_text = partner._collection_formatters()
        currency = env["res.currency"].browse(demand.currency_id)

        def line(item, note=""):
            return {
                "move_id": item["move_id"],
                "name": item["name"],
                "date": date_text(item["date"]),
                "due": date_text(item["due"]),
                "days": max((today - item["due"]).days, 0),
                "amount": amount_text(env["res.currency"].browse(item["currency_id"]), item["amount"]),
                "still_due": amount_text(currency, item["still_due"]) if "still_due" in item else "",
                "note": note,
            }

        held = []
        for item in demand.held:
            note = (
                env._("disputed, not demanded")
                if item["disputed"]
                else env._("payment promised, not demanded")
            )
            held.append(line(item, note))
        company = env.company.sudo()
        bank = company.partner_id.bank_ids[:1]
        collector = partner._collection_collector()
        deadline = level.payment_days and today + timedelta(days=level.payment_days)
        reference = partner.commercial_partner_id.ref or str(partner.commercial_partner_id.id)

        def qr_allowed():
            return company.qr_code and bank and not currency.is_zero(demand.net)

        def qr_url():
            # Absolute: the image is fetched by the mail client, on the sending company's address.
            path = qr_allowed() and bank.build_qr_code_url(
                demand.net, reference, None, currency, partner.commercial_partner_id
            )
            return path and company.get_base_url() + path

        return {
            "level": level,
            "title": level.letter_title or env._("Payment reminder"),
            "body": level.letter_body,
            # The e-mail's copy of the level's text, cleaned by the chatter's own rules: the
            # reminder's body then goes into the chatter as rendered
            # (``mail.template._collection_renders_clean``).
            "mail_body": partner._collection_chatter_text(level.letter_body),
            "date": format_date(env, today),
            "deadline": deadline and format_date(env, deadline),
            "lines": [line(item) for item in demand.due],
            "held": held,
            "credits": [line(item) for item in demand.credits],
            "not_due": [line(item) for item in demand.not_due],
            "due_total": amount_text(currency, demand.due_total),
            "credit_total": amount_text(currency, demand.credit_total),
            "net": amount_text(currency, demand.net),
            "has_credits": bool(demand.credits),
            "bank": bank and " ".join(filter(None, [bank.acc_number, bank.bank_id.name, bank.bank_id.bic])),
            "reference": reference,
            # The customer's page (see, promise, dispute), signed on the letter's day.
            "portal_url": partner.commercial_partner_id._collection_portal_url(today),
            # A payment QR code where the company shows them on invoices and its bank and
            # country have a QR method (Odoo's own, from the bank account). Functions: the
            # letter and the page draw the image (base64), the reminder e-mail links to Odoo's
            # public barcode route instead (mail clients strip data-URI images).
            "qr": lambda: (
                qr_allowed()
                and bank.build_qr_code_base64(
                    demand.net, reference, None, currency, partner.commercial_partner_id
                )
            ),
            "qr_url": qr_url,
            "collector": collector.name,
            "collector_contact": ", ".join(filter(None, [collector.email, collector.phone])),
            # The distributions' wkhtmltopdf (unpatched Qt) drops the layout's header: the PDF
            # letter then carries the letterhead in its body.
            "inline_letterhead": not _wkhtml().is_patched_qt,
        }

    @api.model
    def _collection_chatter_text(self, html):
        """`html` as the chatter stores a message's body: sanitized by its rules (which also
        keep only safe styles), once per distinct text and transaction."""
        if not html:
            return html
        cache = self.env.cr.cache.setdefault("collection_chatter_texts", {})
        if html not in cache:
            Message = self.env["mail.message"]
            cache[html] = Message._fields["body"].convert_to_cache(html, Message)
        return cache[html]

    def _collection_formatters(self):
        """(date_text, amount_text): ``format_date`` and ``currency.format`` in the context's
        language, memoized for the transaction. A daily run formats the same due dates and
        thousands of distinct amounts in letters, e-mails and call notes: the language is
        looked up once, not once per amount as ``currency.format`` does."""
        cache = self.env.cr.cache.setdefault("collection_formats", {})
        env = self.env
        # The pair itself is kept too, by what ``get_lang`` reads (the context's language, else
        # the user's company's): a run asks for it once per call note and letter line, and
        # looking the language up each time showed in its profile.
        asked = ("formatters", env.context.get("lang"), env.uid)
        if (pair := cache.get(asked)) is not None:
            return pair
        lang = get_lang(env)
        if (pair := cache.get(("formatters", lang.code))) is not None:
            cache[asked] = pair
            return pair
        code, grouping = lang.code, ast.literal_eval(lang.grouping)
        thousands_sep, decimal_point = lang.thousands_sep or "", lang.decimal_point

        def date_text(day):
            key = (code, day)
            if key not in cache:
                cache[key] = format_date(env, day, lang_code=code)
            return cache[key]

        currencies = {}

        def amount_text(currency, amount):
            key = (code, currency.id, amount)
            if key not in cache:
                if currency.id not in currencies:
                    currencies[currency.id] = (
                        f"%.{currency.decimal_places}f",
                        currency.rounding,
                        currency.symbol or "",
                        currency.position == "before",
                    )
                fmt, rounding, symbol, before = currencies[currency.id]
                # As ``res.lang.format`` with grouping, the language's data read once.
                rounded = float_round(amount + 0.0, precision_rounding=rounding)
                whole, _, decimals = (fmt % rounded).partition(".")
                whole = intersperse(whole, grouping, thousands_sep)[0]
                number = f"{whole}{decimal_point}{decimals}" if decimals else whole
                # As ``currency.format``: spaces that never break, a minus sign kept with its digits.
                number = number.replace(" ", NBSP).replace("-", "-\N{ZERO WIDTH NO-BREAK SPACE}")
                cache[key] = f"{symbol}{NBSP}{number}" if before else f"{number}{NBSP}{symbol}"
            return cache[key]

        cache[("formatters", code)] = cache[asked] = date_text, amount_text
        return date_text, amount_text

    def _collection_letter_pdfs(self, level):
        """Dunning letters of these customers at `level` as {partner id: PDF bytes}.

        A wkhtmltopdf built on patched Qt (wkhtmltopdf.org packages) renders a chunk of
        customers per run, which Odoo splits per record; the distributions' unpatched build
        can only render one document per run.
        """
        report = self.env.ref("account_collections.account_collection_letter_report_partner")
        Report = self.env["ir.actions.report"].with_context(collection_level_id=level.id)
        pdfs = {}
        for chunk in split_every(LETTER_CHUNK if _wkhtml().is_patched_qt else 1, self.ids):
            streams = Report._render_qweb_pdf_prepare_streams(report, {}, res_ids=list(chunk))
            pdfs.update((partner_id, streams[partner_id]["stream"].getvalue()) for partner_id in chunk)
        return pdfs

    def _collection_send_reminders(self, template, level=None, attach_letter=True):
        """Queue a reminder e-mail per customer and log it on the customer and each open invoice.

        Rendering, queueing and logging are batched per level; customers without an e-mail
        address get the log and a task for their collector instead. Customers who owe nothing
        due once credits are deducted (``_collection_owes_nothing``) get no reminder.
        """
        if template.model != "res.partner":
            # The template renders the customers: one of another model would render whatever
            # record shares their ids.
            raise UserError(self.env._("Choose a template of customers (contacts) for a payment reminder."))
        today = fields.Date.context_today(self)
        demands = self.commercial_partner_id._collection_demands(today)
        partners = self.commercial_partner_id.filtered(
            lambda p: not self._collection_owes_nothing(demands[p.id])
        )
        # A level chosen in the wizard: one of the user's companies, or each customer's own.
        level = level and level._collection_of_user()
        self._collection_prefetch_open_moves(partners)
        self._collection_prefetch_demands(demands)
        try:
            return self._collection_send_reminders_prefetched(partners, template, level, attach_letter)
        finally:
            self._collection_forget_open_moves()
            self._collection_forget_demands()

    @api.model
    def _collection_owes_nothing(self, demand):
        """Nothing (or no more than the company's *Demand Above*) is due once credits are
        deducted and disputed and promised items left out: no demand is sent."""
        company = self.env.company.sudo()
        return (
            company.currency_id.compare_amounts(demand.net_company, company.collection_demand_threshold) <= 0
        )

    def _collection_send_reminders_prefetched(self, partners, template, level, attach_letter):
        by_level = defaultdict(lambda: self.browse())
        for partner in partners:
            by_level[level or partner._collection_letter_level()] |= partner
        today = fields.Date.context_today(self)
        mails, tasks, partner_notes, move_notes = self.env["mail.mail"], [], {}, {}
        for lvl, group in by_level.items():
            reachable = group.filtered(lambda p: p._collection_invoice_contact().email)
            if reachable:
                # Rendered as the user: a template reads for the reminder what its sender may
                # read (the e-mails are then created as superuser).
                sender = template.with_context(collection_level_id=lvl.id)
                mails |= sender._collection_send_batch(reachable.ids, letter=attach_letter, level=lvl)
            title = lvl.sudo().letter_title or self.env._("Payment reminder")
            for partner in group:
                sent = partner in reachable
                note = (
                    self.env._("Reminder e-mailed: %(title)s", title=title)
                    if sent
                    else self.env._("Reminder not e-mailed (no address): %(title)s", title=title)
                )
                partner_notes[partner.id] = note
                for move in partner._collection_overdue_moves():
                    move_notes[move.id] = note
                if not sent:
                    owner = partner.collection_user_id or partner.user_id or self.env.user
                    tasks.append(("res.partner", partner.id, owner, note, False))
        self.env["account.collection.run"]._collection_todo(tasks, today)
        partners._message_log_batch(bodies=partner_notes)
        self.env["account.move"].browse(list(move_notes))._message_log_batch(bodies=move_notes)
        return mails
