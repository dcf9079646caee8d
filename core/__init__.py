"""The ground of supplygraph: errors, the list of systems and the records every layer shares.

It imports nothing of ours. The packages stack on it one way::

    gateway  ->  schema  ->  cache, resolvers  ->  core

(``tests/test_import_direction.py`` reads every import and holds this.)
"""
