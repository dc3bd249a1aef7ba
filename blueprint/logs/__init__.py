"""Event logs: opening and reading them, a blueprint discovered from one, and a blueprint held against one."""
