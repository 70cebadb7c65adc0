"""Capacity checks (PF7xx): how long each migration batch will take and whether each
mailbox fits its Exchange Online quota, from the mailbox statistics (``--mailbox-stats``,
an Exchange 2007 Get-MailboxStatistics or Exchange 2003 WMI export) joined with the
directory objects of the batch rows by legacyExchangeDN. Without mailbox statistics or a
directory they are skipped. PF704 compares the migration endpoint's concurrency with the
MAPI sessions its one account may open (stated in ``[tool.preflight.capacity]``).
"""
