from collections import defaultdict

from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._collection_after_reconcile()
        return partials

    def _collection_after_reconcile(self):
        """A payment met a receivable: re-evaluate what depends on it at once, not at the next cron."""
        lines = (self.debit_move_id | self.credit_move_id).filtered(
            lambda line: line.account_type == "asset_receivable" and line.partner_id
        )
        promises = (
            self.env["account.collection.promise"]
            .sudo()
            .search([("state", "!=", "cancelled"), ("move_ids", "in", lines.move_id.ids)])
        )
        if promises:
            promises._evaluate(decided=True)
        paid = lines.filtered(lambda line: line.collection_next_date and not line._collection_is_open())
        if paid:
            paid.sudo()._collection_leave_ladder()
        by_company = defaultdict(set)
        for line in lines:
            by_company[line.company_id].add(line.partner_id.commercial_partner_id.id)
        for company, partner_ids in by_company.items():
            partners = self.env["res.partner"].sudo().with_company(company).browse(partner_ids)
            partners.filtered(lambda p: p.collection_logged_status == "hold")._collection_log_status_changes()
