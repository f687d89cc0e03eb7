"""19.0.1.5.0: a step of the history names its entries through its items.

Until 19.0.1.4.0 the daily run linked each step to its items and, a second time, to their
entries. A step's entries are now its items' (``account.collection.history.move_ids``); the
table of the second links holds the entries a step names without its items
(``kept_move_ids``: items deleted since, steps logged before items were the unit). The links
its items already make go.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        DELETE FROM account_collection_history_move_rel kept
         USING account_collection_history_line_rel link
          JOIN account_move_line aml ON aml.id = link.line_id
         WHERE link.history_id = kept.history_id AND aml.move_id = kept.move_id
        """
    )
