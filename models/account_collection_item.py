"""Where each open receivable item stands on the collection ladder.

The ladder's bookkeeping of an item (its level, the day it reached it, its next step and that
step's working day) changes for most of a backlog every working day. Kept on the journal item
itself, every change rewrote a wide row of ``account_move_line`` and a new entry in each of its
twenty-odd indexes, and the invoice's copy did the same on ``account_move``: the two UPDATEs were
a third of a busy day's run. Here it is a narrow row per item, with its id the item's own and no
index on what changes daily, in pages left with room (fillfactor) so that PostgreSQL updates it
in place. The item and its entry read it through related fields
(``account.move.line.collection_item_id``, ``account.move.collection_top_item_id`` and
``collection_step_item_id``), which stay searchable, sortable and groupable.

A position outlives its journal item until its entry is posted again: Odoo remakes the items of
an invoice reset to draft, and the invoice keeps its level meanwhile
(``account.move._collection_give_level_to_items``).
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class AccountCollectionItem(models.Model):
    _name = "account.collection.item"
    _description = "Position of an Open Item on the Collection Ladder"
    _log_access = False
    _order = "id"

    move_id = fields.Many2one(
        "account.move", string="Entry", required=True, index=True, ondelete="cascade", readonly=True
    )
    ladder_id = fields.Many2one("account.collection.ladder", readonly=True)
    level_id = fields.Many2one("account.collection.ladder.level", readonly=True)
    level_sequence = fields.Integer(string="Level Number", readonly=True)
    level_date = fields.Date(string="Level Reached On", readonly=True)
    next_level_id = fields.Many2one(
        "account.collection.ladder.level", string="Next Collection Step", readonly=True
    )
    next_date = fields.Date(string="Next Step On", readonly=True)

    def init(self):
        # Room in each page for the day's new row versions: with no index on what changes, they
        # stay in their page (heap-only tuples) instead of moving and being indexed again.
        self.env.cr.execute(SQL("ALTER TABLE %s SET (fillfactor = 70)", SQL.identifier(self._table)))

    @api.model_create_multi
    def create(self, vals_list):
        self._collection_check_engine()
        return super().create(vals_list)

    def write(self, vals):
        self._collection_check_engine()
        return super().write(vals)

    def _collection_check_engine(self):
        """Positions are the engine's (as superuser, in SQL); no user sets them, whatever the role."""
        if not self.env.su:
            raise UserError(self.env._("The collection ladder's steps are set by the ladder, not by hand."))
