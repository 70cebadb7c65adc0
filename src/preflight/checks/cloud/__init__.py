"""Cloud checks (PF6xx): does each batch row find, in Exchange Online, the
directory-synced mail user that a staged migration converts into a mailbox?

They read the tenant's recipients and users (``cloud_recipients``: Get-Recipient,
Graph ``/users`` or Get-MgUser exports, and Graph ``/subscribedSkus``; given
with ``--tenant-recipients``) through the ``batch_cloud`` provider, which joins
every EmailAddress of the run's batch files with the cloud objects that carry
it as their primary SMTP address or an ``smtp:`` proxy address. Without tenant
recipients they are skipped; when an export is broken or truncated they are
errored. PF630 reads the on-premises directory and the tenant's domains instead.
"""
