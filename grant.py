"""Rights that server code grants for the rest of a transaction, out of any client's reach.

Context keys travel with every RPC call: none of them authorises anything in this addon.
When a rule must let internal code through (closing a collection call once its outcome is
recorded, posting an invoice a manager overrode, moving a customer's collection work to its
new collector, crediting a fee invoice whose charges a manager waives), the code grants that
right for the records concerned on the database cursor, which no request can reach, and
checks it where the rule is enforced.
"""

from contextlib import contextmanager

CLOSE_CALL = "close_call"  # mail.activity ids: a collection call whose outcome is recorded
POST_ON_HOLD = "post_on_hold"  # account.move ids: posted by a manager despite the credit hold
SET_COLLECTOR = "set_collector"  # res.partner ids: collector set with its work and a reason
UNDO_CHARGE = "undo_charge"  # account.move ids: fee invoices a manager's waiver credits, with a reason


@contextmanager
def grant(env, right, ids):
    """Grant `right` on the records `ids` inside the ``with`` block."""
    grants = env.cr.cache.setdefault("collection_grants", {}).setdefault(right, set())
    added = set(ids) - grants
    grants |= added
    try:
        yield
    finally:
        grants -= added


def granted(env, right, ids):
    """Whether `right` is granted on every record of `ids`."""
    return set(ids) <= env.cr.cache.get("collection_grants", {}).get(right, set())
