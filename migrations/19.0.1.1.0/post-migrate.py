"""19.0.1.1.0: the ladder follows receivable items instead of invoices.

An invoice's level, the day it reached it and its next step move to the receivable items the
level was taken for (those due on or before that day, and its first item in any case:
``account.move._collection_give_level_to_items``, which writes their positions on the ladder as
19.0.1.4.0 keeps them); items falling due later meet the ladder on the next run, like any new
item. Steps of the history name the same items. The daily job now
belongs to ``account.collection.run``.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
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
           AND (COALESCE(aml.date_maturity, aml.date) <= history.date
                OR aml.id = (SELECT first.id
                               FROM account_move_line first
                               JOIN account_account first_account ON first_account.id = first.account_id
                              WHERE first.move_id = rel.move_id
                                AND first_account.account_type = 'asset_receivable'
                                AND first.balance > 0
                           ORDER BY COALESCE(first.date_maturity, first.date), first.id
                              LIMIT 1))
        ON CONFLICT DO NOTHING
        """
    )
    env = api.Environment(cr, SUPERUSER_ID, {})
    # The invoice's level, left in the columns of 19.0.1.0.0 (19.0.1.4.0 drops them).
    cr.execute(
        """
        SELECT id, collection_ladder_id, collection_level_id, collection_level_date,
               collection_level_sequence, collection_next_level_id, collection_next_date
          FROM account_move
         WHERE collection_level_id IS NOT NULL
        """
    )
    env["account.move"]._collection_give_level_to_items({row[0]: row[1:] for row in cr.fetchall()})
    cron = env.ref("account_collections.ir_cron_collection_ladder", raise_if_not_found=False)
    if cron:
        cron.write({"model_id": env["ir.model"]._get_id("account.collection.run")})
