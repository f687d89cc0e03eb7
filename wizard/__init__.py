from . import account_move_hold_override
