"""19.0.1.2.0: a collection call names the company whose receivables it is about.

Calls the daily run planned before the upgrade get the company of the step that planned them
(the history row that points at the call); the others (planned by hand) stay without one and
count for their collector's company, as before.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE mail_activity activity
           SET collection_company_id = history.company_id
          FROM account_collection_history history
         WHERE history.activity_id = activity.id
           AND activity.collection_company_id IS NULL
        """
    )
