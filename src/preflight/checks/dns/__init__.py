"""Tenant and DNS checks (PF3xx): verified domains, MX, Autodiscover, SPF and the
records of each migration stage, per distinct domain of the batch files.

Data names (providers in :mod:`.providers`): ``tenant_domains``,
``mail_domains``, ``directory_primary_domains``, ``dns_source``,
``dns_records``, ``dns_chains``, ``dns_spf``, ``dns_outlook_anywhere``.
dnspython is imported by the DNS source only when a DNS check runs, never
when these modules are imported.
"""
