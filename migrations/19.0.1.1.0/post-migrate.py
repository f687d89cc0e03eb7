"""19.0.1.1.0: the ladder follows receivable items instead of invoices.

An invoice's level, the day it reached it and its next step move to the receivable items the
level was taken for (those due on or before that day); items falling due later meet the ladder
on the next run, like any new item. Steps of the history name the same items. The daily job now
belongs to ``account.collection.run``.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE account_move_line aml
           SET collection_ladder_id = move.collection_ladder_id,
               collection_level_id = move.collection_level_id,
               collection_level_date = move.collection_level_date,
               collection_level_sequence = move.collection_level_sequence,
               collection_next_level_id = CASE WHEN NOT aml.reconciled AND aml.amount_residual > 0
                                               THEN move.collection_next_level_id END,
               collection_next_date = CASE WHEN NOT aml.reconciled AND aml.amount_residual > 0
                                           THEN move.collection_next_date END
          FROM account_move move, account_account account
         WHERE aml.move_id = move.id
           AND account.id = aml.account_id
           AND account.account_type = 'asset_receivable'
           AND aml.partner_id IS NOT NULL
           AND aml.balance > 0
           AND aml.collection_ladder_id IS NULL
           AND move.collection_level_id IS NOT NULL
           AND COALESCE(aml.date_maturity, aml.date) <= move.collection_level_date
        """
    )
    cr.execute(
        """
        INSERT INTO account_collection_history_line_rel (history_id, line_id)
        SELECT rel.history_id, aml.id
          FROM account_collection_history_move_rel rel
          JOIN account_collection_history history ON history.id = rel.history_id
          JOIN account_move_line aml ON aml.move_id = rel.move_id
          JOIN account_account account ON account.id = aml.account_id
         WHERE account.account_type = 'asset_receivable'
           AND aml.partner_id IS NOT NULL
           AND aml.balance > 0
           AND COALESCE(aml.date_maturity, aml.date) <= history.date
        ON CONFLICT DO NOTHING
        """
    )
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("account_collections.ir_cron_collection_ladder", raise_if_not_found=False)
    if cron:
        cron.write({"model_id": env["ir.model"]._get_id("account.collection.run")})
