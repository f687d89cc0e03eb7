from . import account_collection_call_register
from . import account_collection_hold_override
from . import account_collection_reassign
from . import account_collection_reminder_send
from . import account_move_hold_override
from . import account_collection_preview
from . import account_collection_charge_waive
