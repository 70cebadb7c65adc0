"""OpenLDAP ``ldapsearch`` output read as an export, as it is: run for real against the test OpenLDAP (slapd)
and Samba AD DC servers, with and without ``-LLL``, wrapped or not, paged or not."""

from __future__ import annotations

import pandas as pd
import pytest

from ad import exporters, scenario
from ad.test_ldap_source import normalized
from preflight.registry import SourceError
from preflight.sources.directory.exports import ATTRIBUTES, read_export
from preflight.sources.directory.ldap import LdapSource
from preflight.sources.schemas import DIRECTORY_COLUMNS

#: The filter of the documented export commands.
FILTER = "(|(objectClass=user)(objectClass=contact)(objectClass=group)(objectClass=publicFolder))"
PASSWORD_ENV = "PREFLIGHT_TEST_LDAPSEARCH_PASSWORD"
VARIANTS = {
    "plain": [],
    "-LLL": ["-LLL"],
    "no-wrap": ["-o", "ldif-wrap=no"],
    "-LLL no-wrap": ["-LLL", "-o", "ldif-wrap=no"],
    "paged": ["-E", "pr=2/noprompt"],
    "-LLL paged": ["-LLL", "-E", "pr=2/noprompt"],
}


@pytest.fixture(scope="module")
def slapd_server():
    from servers.slapd import mailbox_entries, start_slapd

    with start_slapd(list(mailbox_entries(5))) as server:
        yield server


def slapd_search(server, path, options, search_filter=FILTER) -> bytes:
    return exporters.run_ldapsearch(server.url, server.reader_dn, server.reader_password, server.base_dn,
                                    search_filter, ATTRIBUTES, path, ca_file=server.ca_file, options=options)


def by_dn(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(key=frame["dn"].str.casefold()).set_index("key").sort_index()[list(DIRECTORY_COLUMNS)]


@pytest.mark.parametrize("variant", VARIANTS)
def test_ldapsearch_output_is_read_as_it_is(slapd_server, tmp_path, monkeypatch, variant):
    """Each form of ldapsearch's output gives the objects the live LDAP source reads from the same server."""
    options = VARIANTS[variant]
    raw = slapd_search(slapd_server, tmp_path / "contoso.ldif", options)
    if "-LLL" not in options:
        assert b"# extended LDIF" in raw and b"\nresult: 0 Success\n" in raw
    assert (b"\n " in raw) == ("ldif-wrap=no" not in options)  # long values folded unless -o ldif-wrap=no
    source = read_export(tmp_path / "contoso.ldif")
    assert source.describe()["format"] == "ldif" and source.describe()["objects"] == 7  # 5 mailboxes, 2 accounts
    monkeypatch.setenv(PASSWORD_ENV, slapd_server.reader_password)
    with LdapSource.from_config(slapd_server.config(password_env=PASSWORD_ENV)) as live:
        expected = by_dn(live.read_all())
    got = by_dn(source.frame)
    pd.testing.assert_frame_equal(got, expected.loc[got.index])


def test_a_search_stopped_by_the_size_limit_is_refused(slapd_server, tmp_path):
    """Unpaged, the server's size limit stops the search: ldapsearch says so in its trailer."""
    raw = slapd_search(slapd_server, tmp_path / "cut.ldif", ["-z", "3"])
    assert b"result: 4 Size limit exceeded" in raw
    with pytest.raises(SourceError, match=r"ldapsearch reported 'result: 4 Size limit exceeded'.*incomplete.*pr=1000"):
        read_export(tmp_path / "cut.ldif")


def test_paged_output_cut_between_pages_is_refused(slapd_server, tmp_path):
    raw = slapd_search(slapd_server, tmp_path / "all.ldif", ["-E", "pr=2/noprompt"])
    first_page = raw[: raw.index(b"pagedresults: cookie=")]
    first_page += raw[len(first_page):].split(b"\n", 1)[0] + b"\n"  # the first page's result block, whole
    assert first_page.count(b"\ndn: ") == 2
    (tmp_path / "cut.ldif").write_bytes(first_page)
    with pytest.raises(SourceError, match="final 'result:'.*cut short"):
        read_export(tmp_path / "cut.ldif")


@pytest.mark.parametrize("options", [[], ["-LLL"]], ids=["plain", "-LLL"])
def test_the_attributes_asked_for_are_known(slapd_server, tmp_path, options):
    """ldapsearch's "# requesting:" line says what was asked for: an attribute asked for that some entries lack
    (the service accounts have no mail) is known empty; one not asked for is unknown, whatever -LLL hides."""
    exporters.run_ldapsearch(slapd_server.url, slapd_server.reader_dn, slapd_server.reader_password,
                             slapd_server.base_dn, FILTER, ["objectClass", "mail", "proxyAddresses", "targetAddress"],
                             tmp_path / "some.ldif", ca_file=slapd_server.ca_file, options=options)
    source = read_export(tmp_path / "some.ldif")
    assert source.unknown(["mail", "proxyAddresses", "objectClass"]) is None
    assert (source.unknown(["targetAddress"]) is None) == (not options)  # no entry has one: only the header tells
    assert "displayName" in source.unknown(["displayName"])


@pytest.mark.parametrize("options", [[], ["-LLL"]], ids=["plain", "-LLL"])
def test_ldapsearch_of_active_directory_from_the_domain_root(samba_dc, tmp_path, options):
    """AD answers a subtree search from the domain root with search references too (the partitions
    below it); ldapsearch prints them, and the result, unless -LLL. The export gives the scenario's objects."""
    raw = exporters.run_ldapsearch(f"ldaps://{samba_dc.host}:{samba_dc.ldaps_port}", samba_dc.admin_upn,
                                   samba_dc.admin_password, scenario.BASE_DN, FILTER, ATTRIBUTES,
                                   tmp_path / "contoso.ldif", ca_file=samba_dc.ca_file,
                                   options=[*options, "-E", "pr=1000/noprompt"], verify_name=False)
    if not options:
        assert b"\n# search reference\nref: ldap" in raw and b"\nresult: 0 Success\n" in raw
    frame = read_export(tmp_path / "contoso.ldif").frame
    staff = frame[frame["dn"].str.casefold().isin({dn.casefold() for dn, _ in scenario.OBJECTS})]
    pd.testing.assert_frame_equal(normalized(staff), normalized(scenario.frame()))
