"""Directory checks (PF2xx): will each batch row find a migratable mailbox in the
on-premises Active Directory?

They read the ``directory`` data (a :class:`preflight.sources.directory.DirectorySource`:
live LDAP or an ldifde/csvde/Get-ADUser export, given with ``--directory``) through
the ``batch_directory`` provider, which resolves every EmailAddress of the run's
batch files in one batched lookup. With no directory given they are skipped; a
check that reads an attribute the source does not hold (a column an export left
out) is skipped with the reason (:meth:`.providers.BatchDirectory.require`).
"""
