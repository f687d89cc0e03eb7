"""Pay now: the customer's net demand, through the company's payment providers. The amount is
the demand the server computes, never the one a browser sends."""

from werkzeug.exceptions import NotFound

from odoo import Command, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

from odoo.addons.account_collections.controllers.portal import (
    ERROR_KEY,
    PAGE,
    link_customer,
    section_customer,
)
from odoo.addons.account_payment.controllers.portal import PortalAccount


class CollectionPayNow(PortalAccount):
    def _collection_payable(self, partner_id, issued, signature, company_id, move_ids=None):
        """(customer in the section's company, invoices to pay, amount, currency): all that is
        demanded, or the invoices chosen (`move_ids`). Raises NotFound for a bad link or
        company, UserError when there is nothing to pay online."""
        customer = section_customer(link_customer(partner_id, issued, signature), company_id)
        moves, amount, currency, items = customer._collection_portal_payable(move_ids)
        # A payment of these invoices already on its way (a pending bank transfer, an
        # authorization) is not paid a second time.
        if moves.transaction_ids.filtered(lambda tx: tx.state in ("pending", "authorized")):
            raise UserError(
                request.env._("A payment of these invoices is being processed: it shows here once confirmed.")
            )
        return customer, moves, amount, currency, items

    @http.route(f"{PAGE}/pay", type="http", auth="public", methods=["GET"], website=True, sitemap=False)
    def collection_pay(self, partner_id, issued, signature, company_id=None, **kw):
        page = f"/collections/{partner_id}/{issued}/{signature}"
        try:
            chosen = [int(move_id) for move_id in request.httprequest.args.getlist("move_ids")]
            if kw.get("choosing") and not chosen:
                raise UserError(request.env._("Tick the invoices to pay."))
            customer, moves, amount, currency = self._collection_payable(
                partner_id, issued, signature, int(company_id or 0), chosen
            )[:4]
            # The invoices shown are the ones paid, even if another falls due meanwhile.
            chosen = moves.ids
        except ValueError:
            raise NotFound() from None
        except (UserError, ValidationError) as error:
            request.session[ERROR_KEY] = error.args[0]
            return request.redirect(page)
        company = customer.env.company
        values = {
            "partner": customer,
            "page_url": page,
            "amount": amount,
            "currency": currency,
            "moves": moves,
            "payment": {"amount": amount, "reference": ", ".join(moves.mapped("name"))},
        }
        values |= self._get_common_page_view_values(
            invoices_data={
                "partner": customer,
                "company": company,
                "total_amount": amount,
                "currency": currency,
                "amount_residual": amount,
                "payment_reference": ", ".join(moves.mapped("name")),
                "landing_route": f"{page}?message=paid",
                # The choice travels in the route: the payment form posts fixed parameters.
                "transaction_route": f"{page}/transaction/{company.id}/{'-'.join(map(str, chosen))}",
            },
            access_token=signature,
        )
        return request.render("account_collections_payment.portal_collection_pay", values)

    @http.route(f"{PAGE}/transaction/<int:company_id>/<string:chosen>", type="jsonrpc", auth="public")
    def collection_transaction(self, partner_id, issued, signature, company_id, chosen, **kwargs):
        try:
            move_ids = [int(move_id) for move_id in chosen.split("-")]
        except ValueError:
            raise NotFound() from None
        try:
            customer, moves, amount, currency, items = self._collection_payable(
                partner_id, issued, signature, company_id, move_ids
            )
        except UserError as error:
            raise ValidationError(error.args[0]) from None
        kwargs.pop("access_token", None)
        kwargs.pop("payment_reference", None)
        self._validate_transaction_kwargs(kwargs)
        # The amount is the server's. The page showed one: if what is owed changed since (a
        # payment, a credit note), the customer is told instead of paying another amount.
        if currency.compare_amounts(float(kwargs.get("amount") or 0), amount):
            raise ValidationError(
                request.env._(
                    "What you owe has changed since the page was shown: reload it to see the amount."
                )
            )
        kwargs["amount"] = amount
        tx_sudo = self._create_transaction(
            custom_create_values={
                "invoice_ids": [Command.set(moves.ids)],
                "collection_portal": True,
                "collection_line_ids": [Command.set(items.ids)],
            },
            partner_id=customer.id,
            currency_id=currency.id,
            **kwargs,
        )
        return tx_sudo._get_processing_values()
