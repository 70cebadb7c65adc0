"""IdFix checks (PF4xx): the attribute values that will break directory
synchronization, found with the rules of Microsoft's IdFix tool, with IdFix's
proposed values.

Scope (``[idfix] scope``, ``--idfix-scope``): ``batch`` (default) — the
directory objects of the run's batch rows; ``directory`` — every user, contact
and group of the directory, or of the subtree ``base`` (``--idfix-base``).
Rule set (``rule_set``, ``--rule-set``): ``multi-tenant`` (default) or ``dedicated``.
One engine (:mod:`.rules`) runs every rule once; each check reports one of
IdFix's error types. Which objects IdFix 2.6 scans, per rule set, is
:func:`.rules.scan_scope`'s docstring. The rules, error types, proposed values
and actions are those of IdFix 2.6's code; where preflight deviates, the rule
page (``--explain PF4xx``) says so and why.
"""
