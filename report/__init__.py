from . import account_collection_aging
from . import account_collection_worklist
from . import account_collection_kpi
