"""Paging against OpenLDAP configured with AD's MaxPageSize (1,000 per search for a non-root account):
2,500 mailboxes; an unpaged search is cut at 1,000, LdapSource sees every object — with either backend
(ldap3, python-ldap; the python-ldap cases are skipped when it is not installed). The server certificate
names 127.0.0.1, so python-ldap verifies it here for real."""

from __future__ import annotations

import math
import socket

import ldap3
import pandas as pd
import pytest

from servers import slapd

from preflight.registry import SourceError
from preflight.sources.directory.ldap import LdapSource

N = 2_500
pytestmark = pytest.mark.servers  # OpenLDAP (slapd)

PASSWORD_ENV = "PREFLIGHT_TEST_SLAPD_PASSWORD"


@pytest.fixture(scope="module")
def server():
    with slapd.start_slapd(slapd.mailbox_entries(N)) as s:
        yield s


@pytest.fixture
def config(server, monkeypatch, backend):
    monkeypatch.setenv(PASSWORD_ENV, server.reader_password)
    return server.config(PASSWORD_ENV, backend=backend)


def source(config) -> LdapSource:
    src = LdapSource.from_config(config)
    assert src.backend == config["backend"]
    return src


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
    with source(config) as src:
        everything = src.read_all(slapd.BULK_OU)
        assert src.searches == math.ceil((N + 1) / 1000)  # 2,500 mailboxes + the OU, 1,000 per page
    dns = set(everything["dn"].str.casefold())
    assert dns == bulk_dns() | {slapd.BULK_OU.casefold()}
    assert everything["mail"].str.endswith("@contoso.com").sum() == N
    assert everything["hasMasterAccountSid"].isna().all()
    assert (everything["msExchRecipientTypeDetails"].dropna() == 1).all()


def test_read_all_defaults_to_the_base_dns(config):
    with source(config) as src:
        assert bulk_dns() <= set(src.read_all()["dn"].str.casefold())


def test_lookup_of_every_address(config):
    addresses = [slapd.mailbox_address(i).upper() for i in range(N)]
    with source(config) as src:
        found = src.lookup(addresses)
        assert src.searches == math.ceil(N / src.chunk_size)  # 17 searches for 2,500 addresses
    assert set(found["dn"].str.casefold()) == bulk_dns()
    assert found["mail"].is_unique and len(found) == N


def test_lookup_by_secondary_proxy(config):
    with source(config) as src:
        found = src.lookup([f"U{i:06d}@contoso.com" for i in range(0, N, 7)])
    assert set(found["mail"]) == {slapd.mailbox_address(i) for i in range(0, N, 7)}


def test_many_direct_reports(config):
    """A manager with 2,499 direct reports: all read from its directReports back-link (one search for the
    manager, then the reports by DN, 150 per search), none by an (unindexed) manager search."""
    with source(config) as src:
        reports = src.lookup_reports([slapd.mailbox_dn(0)])
        assert src.searches == 1 + math.ceil((N - 1) / 150)
        assert len(src.lookup_reports([slapd.mailbox_dn(0)])) == N - 1
        assert src.searches == 1 + math.ceil((N - 1) / 150)  # all known now
    assert len(reports) == N - 1
    assert set(reports["manager"].str.casefold()) == {slapd.mailbox_dn(0).casefold()}


def test_server_refusing_the_page_size_is_a_source_error(config):
    """An account only allowed pages of 100 (size.pr): asking for 1,000 is refused, not silently cut."""
    config["bind_user"] = slapd.STRICT_DN
    with pytest.raises(SourceError, match="adminLimitExceeded"):
        source(config).read_all(slapd.BULK_OU)


def test_result_cut_despite_paging_is_a_source_error(config, server):
    """Pages of 100 but a total limit of 1,000: the server ends with sizeLimitExceeded; never a partial frame."""
    config.update(bind_user=slapd.STRICT_DN, page_size=100)
    with pytest.raises(SourceError, match="sizeLimitExceeded") as info:
        source(config).read_all(slapd.BULK_OU)
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


# -- both backends: same frame, same faults -------------------------------------------------------------------


def test_backends_give_the_same_frame(server, monkeypatch):
    pytest.importorskip("ldap")
    monkeypatch.setenv(PASSWORD_ENV, server.reader_password)
    frames = {}
    for backend in ("ldap3", "python-ldap"):
        with LdapSource.from_config(server.config(PASSWORD_ENV, backend=backend)) as src:
            assert src.backend == backend
            frames[backend] = (src.read_all(slapd.BULK_OU).sort_values("dn", ignore_index=True),
                               src.lookup([slapd.mailbox_address(i) for i in range(0, N, 3)]).sort_values(
                                   "dn", ignore_index=True), src.searches)
    (all3, found3, n3), (all_py, found_py, n_py) = frames["ldap3"], frames["python-ldap"]
    pd.testing.assert_frame_equal(all3, all_py)
    pd.testing.assert_frame_equal(found3, found_py)
    assert n3 == n_py == 3 + 6  # 3 pages + ceil(834 / 150) chunks


def test_auto_prefers_python_ldap(server, monkeypatch):
    pytest.importorskip("ldap")
    monkeypatch.setenv(PASSWORD_ENV, server.reader_password)
    assert LdapSource.from_config(server.config(PASSWORD_ENV)).backend == "python-ldap"
    # a certificate name other than the host: libldap cannot verify it, ldap3 does
    with LdapSource.from_config(server.config(PASSWORD_ENV, backend="python-ldap",
                                              tls_server_name=slapd.TLS_SERVER_NAME)) as src:
        assert src.backend == "ldap3"
        assert len(src.lookup([slapd.mailbox_address(1)])) == 1


def test_unknown_backend_is_refused(server):
    with pytest.raises(SourceError, match="backend 'openldap' is not one of"):
        LdapSource.from_config(server.config(PASSWORD_ENV, backend="openldap"))


def fails(config, *secrets: str) -> str:
    with pytest.raises(SourceError) as info:
        source(config).lookup([slapd.mailbox_address(1)])
    reason = str(info.value)
    for secret in secrets:
        assert secret not in reason
    assert "127.0.0.1" in reason
    return reason


def test_wrong_password(config, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "Wrong-Passw0rd-xyz!")
    reason = fails(config, "Wrong-Passw0rd-xyz!")
    assert f"bind as {slapd.READER_DN} failed" in reason and "invalidCredentials" in reason


def test_untrusted_certificate(config, server):
    del config["ca_file"]  # the system store does not know the throw-away CA
    assert "certificate could not be verified" in fails(config, server.reader_password)


def test_nothing_listening(config, server):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config["source"] = f"ldaps://127.0.0.1:{port}"
    assert "connection refused" in fails(config, server.reader_password)


def test_missing_base(config, server):
    config["base_dn"] = "OU=Nowhere," + slapd.BASE_DN
    assert "does not exist" in fails(config, server.reader_password)
