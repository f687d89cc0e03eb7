from . import account_collection_ladder
from . import res_company
from . import res_config_settings
