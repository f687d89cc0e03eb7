from . import account_collection_demo
