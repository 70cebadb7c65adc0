"""The provider of the Exchange organization data the PF8xx checks ask for.

``exchange_configuration``
    an :class:`~preflight.sources.directory.configuration.ExchangeConfiguration`: read
    from the organization exports given with ``--directory`` (the Configuration
    partition's ldifde/csvde export, the domain head's), else live from an
    ``ldaps://`` directory (the rootDSE's ``configurationNamingContext``). Missing,
    with the export commands, when neither is given; SourceError when it cannot be read.
"""

from __future__ import annotations

from ...registry import Missing, provider


@provider("exchange_configuration")
def exchange_configuration(config, directory=None):
    from ...sources.directory import configuration

    files = list(configuration.iter_organization_exports(config))
    if files:
        return configuration.read_exports(files)
    if directory is not None and hasattr(directory, "search_entries"):
        return configuration.read_live(directory)
    raise Missing("no Exchange organization data: give the Configuration partition's export with --directory "
                  f"(README: The Exchange organization): {configuration.EXPORT_COMMANDS[0]}")


@provider("mailbox_permissions")
def mailbox_permissions(batch_directory, directory, config):
    """:class:`~preflight.sources.directory.permissions.MailboxPermissions` of the batch mailboxes:
    live from an LDAP directory, else from the user export (when it holds the descriptors)."""
    from ...sources.directory import permissions
    from ...sources.directory.configuration import split_sources
    from ..directory.recipient import is_mailbox, mailbox_attributes

    rows = batch_directory.resolved()
    batch_directory.require(*mailbox_attributes(rows))
    dns = list(dict.fromkeys(rows["dn"][is_mailbox(rows).to_numpy()].tolist()))
    if hasattr(directory, "search_entries"):
        return permissions.read_live(directory, dns)
    user_export, _ = split_sources(config.directory.get("source"), config.path)
    if not isinstance(user_export, str):
        raise Missing("the directory source gives no security descriptors")
    return permissions.read_export(user_export, dns)
