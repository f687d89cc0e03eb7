"""19.0.1.4.0: where each open item stands on the ladder moves to its own narrow table.

The level, the day it was reached and the next step of an item were columns of
``account_move_line``, and the invoice kept a copy of them on ``account_move``: each working day
rewrote both wide rows. They now live in ``account_collection_item`` (one row per item, its id
the item's), which the item and the invoice read through related fields. The positions are
copied from the items' columns (19.0.1.1.0 to 19.0.1.3.0; from 19.0.1.0.0 the previous script
already wrote them), the invoices point at them, and the old columns go.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

OLD_COLUMNS = (
    "collection_ladder_id",
    "collection_level_id",
    "collection_level_date",
    "collection_level_sequence",
    "collection_next_level_id",
    "collection_next_date",
)


def _has_column(cr, table, column):
    cr.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
        (table, column),
    )
    return bool(cr.rowcount)


def migrate(cr, version):
    if not version:
        return
    if _has_column(cr, "account_move_line", "collection_ladder_id"):
        cr.execute(
            """
            INSERT INTO account_collection_item (id, move_id, ladder_id, level_id, level_date,
                                                 level_sequence, next_level_id, next_date)
            SELECT id, move_id, collection_ladder_id, collection_level_id, collection_level_date,
                   COALESCE(collection_level_sequence, 0), collection_next_level_id,
                   collection_next_date
              FROM account_move_line
             WHERE collection_ladder_id IS NOT NULL OR collection_level_id IS NOT NULL
                OR collection_next_date IS NOT NULL
            ON CONFLICT (id) DO NOTHING
            """
        )
    if _has_column(cr, "account_move", "collection_level_id"):
        # An invoice in draft whose items Odoo made again kept its level on the invoice alone:
        # a position of its own (no item has its id) keeps it until it is posted again.
        cr.execute(
            """
            INSERT INTO account_collection_item (id, move_id, ladder_id, level_id, level_date,
                                                 level_sequence)
            SELECT nextval('account_move_line_id_seq'), move.id, move.collection_ladder_id,
                   move.collection_level_id, move.collection_level_date,
                   COALESCE(move.collection_level_sequence, 0)
              FROM account_move move
             WHERE move.collection_level_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM account_collection_item item WHERE item.move_id = move.id)
            """
        )
    cr.execute(
        """
        UPDATE account_move_line aml SET collection_item_id = aml.id
          FROM account_collection_item item
         WHERE item.id = aml.id AND aml.collection_item_id IS NULL
        """
    )
    cr.execute("SELECT DISTINCT move_id FROM account_collection_item")
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["account.move"]._collection_derive_from_items([row[0] for row in cr.fetchall()])
    for table in ("account_move_line", "account_move"):
        for column in OLD_COLUMNS:
            cr.execute(
                SQL("ALTER TABLE %s DROP COLUMN IF EXISTS %s", SQL.identifier(table), SQL.identifier(column))
            )
