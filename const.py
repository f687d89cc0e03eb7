"""XML ids the models and wizards share: the groups and the activity types of collections."""

MANAGER = "account_collections.group_collections_manager"
COLLECTOR = "account_collections.group_collections_collector"
CALL_TYPE = "account_collections.mail_activity_type_collection_call"
TODO_TYPE = "account_collections.mail_activity_type_collection_todo"
