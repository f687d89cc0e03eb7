"""19.0.1.3.0: an invoice keeps the day its dispute was opened and the day it was resolved.

Both are read from the dispute flag's tracking history, so that after the upgrade the
customer's collection page dates the disputes opened or resolved before it: an invoice still
disputed gets the day of its last opening; one whose last change resolved its dispute gets
that day, and the day of the opening before it.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        WITH changes AS (
            SELECT message.res_id AS move_id, message.date::date AS date,
                   change.new_value_integer AS disputed,
                   ROW_NUMBER() OVER (PARTITION BY message.res_id
                                      ORDER BY message.date DESC, change.id DESC) AS latest
              FROM mail_tracking_value change
              JOIN mail_message message ON message.id = change.mail_message_id
              JOIN ir_model_fields field ON field.id = change.field_id
             WHERE field.model = 'account.move' AND field.name = 'collection_disputed'
               AND message.model = 'account.move'
        ),
        last_opened AS (
            SELECT move_id, MAX(date) AS date FROM changes WHERE disputed = 1 GROUP BY move_id
        )
        UPDATE account_move move
           SET collection_dispute_date = last_opened.date,
               collection_dispute_resolved_date = CASE WHEN move.collection_disputed THEN NULL
                                                       ELSE changes.date END
          FROM changes
          LEFT JOIN last_opened ON last_opened.move_id = changes.move_id
         WHERE changes.move_id = move.id
           AND changes.latest = 1
           AND move.collection_dispute_date IS NULL
           AND move.collection_dispute_resolved_date IS NULL
           -- The last change agrees with the flag (a flag written in SQL would not be tracked).
           AND (changes.disputed = 1) = COALESCE(move.collection_disputed, FALSE)
        """
    )
