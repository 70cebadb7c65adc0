"""Paging against OpenLDAP configured with AD's MaxPageSize (1,000 per search for a non-root account):
2,500 mailboxes; an unpaged search is cut at 1,000, LdapSource sees every object."""

from __future__ import annotations

import math

import ldap3
import pytest
from servers import slapd

from preflight.registry import SourceError
from preflight.sources.directory.ldap import LdapSource

N = 2_500
PASSWORD_ENV = "PREFLIGHT_TEST_SLAPD_PASSWORD"


@pytest.fixture(scope="module")
def server():
    with slapd.start_slapd(slapd.mailbox_entries(N)) as s:
        yield s


@pytest.fixture
def config(server, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, server.reader_password)
    return server.config(PASSWORD_ENV)


def bulk_dns() -> set[str]:
    return {slapd.mailbox_dn(i).casefold() for i in range(N)}


def test_unpaged_search_is_cut_at_the_limit(server):
    conn = server.connection()
    try:
        conn.search(slapd.BULK_OU, "(objectClass=user)", attributes=["mail"])
        assert conn.result["description"] == "sizeLimitExceeded"
        assert len(conn.entries) == slapd.SIZE_LIMIT < N
    finally:
        conn.unbind()


def test_read_all_sees_every_object(config):
    with LdapSource.from_config(config) as src:
        everything = src.read_all(slapd.BULK_OU)
        assert src.searches == math.ceil((N + 1) / 1000)  # 2,500 mailboxes + the OU, 1,000 per page
    dns = set(everything["dn"].str.casefold())
    assert dns == bulk_dns() | {slapd.BULK_OU.casefold()}
    assert everything["mail"].str.endswith("@contoso.com").sum() == N
    assert everything["hasMasterAccountSid"].isna().all()
    assert (everything["msExchRecipientTypeDetails"].dropna() == 1).all()


def test_read_all_defaults_to_the_base_dns(config):
    with LdapSource.from_config(config) as src:
        assert bulk_dns() <= set(src.read_all()["dn"].str.casefold())


def test_lookup_of_every_address(config):
    addresses = [slapd.mailbox_address(i).upper() for i in range(N)]
    with LdapSource.from_config(config) as src:
        found = src.lookup(addresses)
        assert src.searches == math.ceil(N / src.chunk_size)  # 17 searches for 2,500 addresses
    assert set(found["dn"].str.casefold()) == bulk_dns()
    assert found["mail"].is_unique and len(found) == N


def test_lookup_by_secondary_proxy(config):
    with LdapSource.from_config(config) as src:
        found = src.lookup([f"U{i:06d}@contoso.com" for i in range(0, N, 7)])
    assert set(found["mail"]) == {slapd.mailbox_address(i) for i in range(0, N, 7)}


def test_reports_over_several_pages(config):
    """One chunk whose result (2,499 direct reports) exceeds the page size: the cookie loop walks it."""
    with LdapSource.from_config(config) as src:
        reports = src.lookup_reports([slapd.mailbox_dn(0)])
        assert src.searches == 3
    assert len(reports) == N - 1


def test_server_refusing_the_page_size_is_a_source_error(config):
    """An account only allowed pages of 100 (size.pr): asking for 1,000 is refused, not silently cut."""
    config["bind_user"] = slapd.STRICT_DN
    with pytest.raises(SourceError, match="adminLimitExceeded"):
        LdapSource.from_config(config).read_all(slapd.BULK_OU)


def test_result_cut_despite_paging_is_a_source_error(config, server):
    """Pages of 100 but a total limit of 1,000: the server ends with sizeLimitExceeded; never a partial frame."""
    config.update(bind_user=slapd.STRICT_DN, page_size=100)
    with pytest.raises(SourceError, match="sizeLimitExceeded") as info:
        LdapSource.from_config(config).read_all(slapd.BULK_OU)
    assert server.reader_password not in str(info.value)


def test_root_dn_ignores_the_limit(server):
    """The reason tests bind as a non-root account: the rootdn is not limited."""
    reader = server.connection()
    reader.unbind()
    conn = ldap3.Connection(reader.server, user=server.root_dn, password=server.reader_password + "-root",
                            auto_bind=True)
    try:
        conn.search(slapd.BULK_OU, "(objectClass=user)", attributes=["cn"])
        assert conn.result["description"] == "success" and len(conn.entries) == N
    finally:
        conn.unbind()
