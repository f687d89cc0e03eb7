"""The customer's collection page: routes only; the rules are on ``res.partner``
(``models/res_partner_portal.py``)."""

import logging
from urllib.parse import urlencode

from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request

_logger = logging.getLogger(__name__)

PAGE = "/collections/<int:partner_id>/<string:issued>/<string:signature>"
MESSAGES = ("promise", "request", "dispute")
PORTAL_INSTALMENTS = 3


class CollectionPortal(http.Controller):
    def _customer(self, partner_id, issued, signature):
        try:
            return request.env["res.partner"]._collection_portal_customer(partner_id, issued, signature)
        except AccessError:
            # Wrong, expired and revoked links look alike: nothing tells a guesser which.
            raise NotFound() from None

    def _section_env(self, customer, company_id):
        """The customer acts on one company's section of its page: only a company it owes."""
        company = customer._collection_portal_companies().filtered(lambda c: c.id == company_id)
        if not company:
            raise NotFound()
        return customer.with_company(company).with_context(lang=customer.lang or request.env.lang)

    @http.route(PAGE, type="http", auth="public", methods=["GET"], website=True, sitemap=False)
    def collection_page(self, partner_id, issued, signature, message=None, error=None, **kw):
        customer = self._customer(partner_id, issued, signature)
        values = customer.with_context(lang=customer.lang or request.env.lang)._collection_portal_values()
        values |= {
            "page_url": f"/collections/{partner_id}/{issued}/{signature}",
            "message": message if message in MESSAGES else None,
            "error": error,
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
        customer = self._customer(partner_id, issued, signature)
        page = f"/collections/{partner_id}/{issued}/{signature}"
        try:
            section = self._section_env(customer, int(company_id or 0))
            # One amount and date, or instalments (amount_2, date_2...).
            lines = [
                (float(kw.get(f"amount_{index}") or 0), fields.Date.to_date(kw.get(f"date_{index}") or None))
                for index in range(1, PORTAL_INSTALMENTS + 1)
            ]
            outcome = section._collection_portal_promise(lines)
        except (UserError, ValidationError, ValueError) as error:
            # An expected refusal, told to the customer; not a server error.
            _logger.info("Portal promise of %s refused: %s", partner_id, error)
            return request.redirect(f"{page}?{_query(error=_text(error))}")
        return request.redirect(f"{page}?message={outcome}")

    @http.route(f"{PAGE}/dispute", type="http", auth="public", methods=["POST"], website=True, sitemap=False)
    def collection_dispute(
        self, partner_id, issued, signature, company_id=None, move_id=None, reason=None, attachment=None, **kw
    ):
        customer = self._customer(partner_id, issued, signature)
        page = f"/collections/{partner_id}/{issued}/{signature}"
        document = None
        if attachment and getattr(attachment, "filename", None):
            document = (attachment.filename, attachment.read())
        try:
            section = self._section_env(customer, int(company_id or 0))
            section._collection_portal_dispute(int(move_id or 0), reason, document)
        except (UserError, ValidationError, ValueError) as error:
            _logger.info("Portal dispute of %s refused: %s", partner_id, error)
            return request.redirect(f"{page}?{_query(error=_text(error))}")
        return request.redirect(f"{page}?message=dispute")

    @http.route(f"{PAGE}/letter/<int:history_id>", type="http", auth="public", methods=["GET"], sitemap=False)
    def collection_letter(self, partner_id, issued, signature, history_id, **kw):
        customer = self._customer(partner_id, issued, signature)
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


def _text(error):
    return error.args[0] if error.args else str(error)


def _query(**params):
    return urlencode(params)
