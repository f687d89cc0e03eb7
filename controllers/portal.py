"""The customer's collection page: routes only; the rules are on ``res.partner``
(``models/res_partner_portal.py``)."""

import logging

from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request

_logger = logging.getLogger(__name__)

PAGE = "/collections/<int:partner_id>/<string:issued>/<string:signature>"
MESSAGES = ("promise", "request", "dispute", "paid")
PORTAL_INSTALMENTS = 3
# The message of a refused action waits in the visitor's session for the page to show it: a
# message in the URL could be written by anyone who has the link (phishing).
ERROR_KEY = "collection_portal_error"


def link_customer(partner_id, issued, signature):
    """The link's customer; the request then speaks the customer's language, as its letters do.
    A wrong, expired or revoked link is "not found", and nothing tells a guesser which of them
    it was. The pay-now routes (bridge) open their links the same way."""
    try:
        customer = request.env["res.partner"]._collection_portal_customer(partner_id, issued, signature)
    except AccessError:
        raise NotFound() from None
    if customer.lang and customer.lang != request.env.lang:
        request.update_context(lang=customer.lang)
    return customer.with_context(lang=request.env.lang)


def section_customer(customer, company_id):
    """The customer acts on one company's section of its page: only a company it owes."""
    company = customer._collection_portal_companies().filtered(lambda c: c.id == company_id)
    if not company:
        raise NotFound()
    return customer.with_company(company)


class CollectionPortal(http.Controller):
    @staticmethod
    def _page_url(partner_id, issued, signature):
        return f"/collections/{partner_id}/{issued}/{signature}"

    @staticmethod
    def _refused(page, error, section=None):
        """Back to the page with the refusal, told once. An expected refusal, not a server error."""
        text = error.args[0] if error.args else str(error)
        if section is not None:
            text = f"{section.env.company.name}: {text}"
        request.session[ERROR_KEY] = text
        return request.redirect(page)

    @http.route(PAGE, type="http", auth="public", methods=["GET"], website=True, sitemap=False)
    def collection_page(self, partner_id, issued, signature, message=None, **kw):
        try:
            customer = link_customer(partner_id, issued, signature)
        except NotFound:
            return request.render("account_collections.portal_collection_link_invalid", status=404)
        values = customer._collection_portal_values()
        values |= {
            "page_url": self._page_url(partner_id, issued, signature),
            "message": message if message in MESSAGES else None,
            "error": request.session.pop(ERROR_KEY, None),
            "today": fields.Date.context_today(customer),
        }
        return request.render("account_collections.portal_collection_page", values)

    @http.route("/my/collections", type="http", auth="user", methods=["GET"], website=True, sitemap=False)
    def my_collection_page(self, **kw):
        """A logged-in contact of the customer: its commercial entity's page, freshly signed."""
        partner = request.env.user.partner_id.commercial_partner_id
        return request.redirect(partner.sudo()._collection_portal_path())

    @http.route(f"{PAGE}/promise", type="http", auth="public", methods=["POST"], website=True, sitemap=False)
    def collection_promise(self, partner_id, issued, signature, company_id=None, **kw):
        customer = link_customer(partner_id, issued, signature)
        page = self._page_url(partner_id, issued, signature)
        section = section_customer(customer, _int(company_id))
        try:
            # One amount and date, or instalments (amount_2, date_2...).
            lines = [
                (_amount(kw.get(f"amount_{index}")), _date(kw.get(f"date_{index}")))
                for index in range(1, PORTAL_INSTALMENTS + 1)
            ]
            outcome = section._collection_portal_promise(lines)
        except (UserError, ValidationError) as error:
            _logger.info("Portal promise of %s refused: %s", partner_id, error)
            return self._refused(page, error, section)
        return request.redirect(f"{page}?message={outcome}")

    @http.route(f"{PAGE}/dispute", type="http", auth="public", methods=["POST"], website=True, sitemap=False)
    def collection_dispute(
        self, partner_id, issued, signature, company_id=None, move_id=None, reason=None, attachment=None, **kw
    ):
        customer = link_customer(partner_id, issued, signature)
        page = self._page_url(partner_id, issued, signature)
        section = section_customer(customer, _int(company_id))
        document = None
        if attachment and getattr(attachment, "filename", None):
            document = (attachment.filename, attachment.read())
        try:
            section._collection_portal_dispute(_int(move_id), reason, document)
        except (UserError, ValidationError) as error:
            _logger.info("Portal dispute of %s refused: %s", partner_id, error)
            return self._refused(page, error, section)
        return request.redirect(f"{page}?message=dispute")

    @http.route(f"{PAGE}/letter/<int:history_id>", type="http", auth="public", methods=["GET"], sitemap=False)
    def collection_letter(self, partner_id, issued, signature, history_id, **kw):
        customer = link_customer(partner_id, issued, signature)
        try:
            pdf = customer._collection_portal_letter_pdf(history_id)
        except AccessError:
            raise NotFound() from None
        return request.make_response(
            pdf,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Length", len(pdf)),
                ("Content-Disposition", http.content_disposition(f"letter-{history_id}.pdf")),
            ],
        )


def _int(value):
    """An id from a form; anything else is no id (refused as such further on)."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _amount(value):
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        raise ValidationError(request.env._("Type the amount as a number.")) from None


def _date(value):
    try:
        return fields.Date.to_date(value or None)
    except (TypeError, ValueError):
        raise ValidationError(request.env._("Choose a date.")) from None
