from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _collection_moves_to_check(self):
        """Invoices of sales orders are not held: the order was checked when it was confirmed,
        and the goods may have left; invoicing them is never blocked."""
        return super()._collection_moves_to_check().filtered(lambda move: not move.line_ids.sale_line_ids)
