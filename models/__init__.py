from . import account_collection_ladder
from . import account_collection_credit_request
from . import account_collection_history
from . import account_move
from . import account_partial_reconcile
from . import res_company
from . import res_config_settings
from . import res_partner
