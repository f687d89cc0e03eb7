from . import stock_picking_hold_override
