"""LdapSource against the real Samba AD DC of the ``samba_dc`` session fixture (tests/ad/scenario.py loaded):
lookups, live == export (the frame equals the one directory_frame builds from the scenario data), batching
(search count), StartTLS, and every fault ending as a SourceError without the password.

Tests taking ``bconfig`` run once per backend (ldap3, python-ldap; python-ldap skipped when not installed).
Samba's certificate names DC1.contoso.com, not 127.0.0.1: ldap3 verifies it with tls_server_name, but libldap
can only verify the name it connects to (with tls_server_name LdapSource uses ldap3). So the python-ldap runs
drop tls_server_name: the certificate faults are real, and the checks that need a completed handshake
(:func:`trusting`) turn verification off; tests/ad/test_paging.py verifies python-ldap for real on slapd."""

from __future__ import annotations

import socket
import threading
import traceback
import warnings

import pandas as pd
import pytest

from ad import scenario
from preflight.registry import SourceError
from preflight.sources.directory import DirectorySource
from preflight.sources.directory.ldap import LdapSource
from preflight.sources.schemas import DIRECTORY_COLUMNS, DirectoryObjects

PASSWORD_ENV = "PREFLIGHT_TEST_LDAP_PASSWORD"
#: Attributes holding DNs: AD may return another case than was written.
DN_COLUMNS = ("dn", "manager", "homeMDB", "msExchUMRecipientDialPlanLink", "msExchUMTemplateLink")
DN_LISTS = ("publicDelegates", "msExchDelegateListLink")


@pytest.fixture
def config(samba_dc, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, samba_dc.admin_password)
    return {"source": f"ldaps://127.0.0.1:{samba_dc.ldaps_port}", "bind_user": samba_dc.admin_upn,
            "password_env": PASSWORD_ENV, "ca_file": str(samba_dc.ca_file),
            "tls_server_name": samba_dc.tls_server_name, "base_dn": scenario.BASE_DN}


@pytest.fixture
def bconfig(config, backend):
    """``config`` for ``backend`` (python-ldap: without tls_server_name, see the module docstring)."""
    config = dict(config, backend=backend)
    if backend == "python-ldap":
        del config["tls_server_name"]
    return config


def trusting(config: dict) -> dict:
    """``config`` whose TLS handshake completes with its backend (python-ldap: verification off)."""
    if config.get("backend") == "python-ldap":
        config.pop("ca_file", None)
        config["insecure_no_tls_verify"] = True
    return config


def open_source(config: dict) -> LdapSource:
    src = LdapSource.from_config(config)
    assert src.backend == config.get("backend", src.backend)
    return src


@pytest.fixture
def source(config):
    with LdapSource.from_config(config) as src:
        yield src


def dns_of(frame: pd.DataFrame) -> set[str]:
    return set(frame["dn"].str.casefold())


def all_addresses() -> list[str]:
    out = []
    for _, attrs in scenario.OBJECTS:
        out.append(attrs["mail"])
        out += [p[5:] for p in attrs.get("proxyAddresses", ()) if p.lower().startswith("smtp:")]
    return out


def normalized(frame: pd.DataFrame) -> pd.DataFrame:
    """Sorted by DN, DN values case-folded, objectClass reduced to the most specific class (AD returns the
    whole chain, the scenario names the class)."""
    f = frame.copy()
    for c in DN_COLUMNS:
        f[c] = f[c].str.casefold()
    for c in DN_LISTS:
        f[c] = f[c].map(lambda t: tuple(sorted(v.casefold() for v in t)))
    f["objectClass"] = f["objectClass"].map(lambda t: t[-1:])
    return f.sort_values("dn", ignore_index=True)


def test_is_a_directory_source(source):
    assert isinstance(source, LdapSource)
    src: DirectorySource = source  # the protocol is structural
    assert src.describe()["kind"] == "directory"


def test_lookup_by_mail_and_secondary_proxy_case_insensitive(source):
    found = source.lookup(["ANN.LEE@contoso.com", "LPark@Contoso.COM"])
    DirectoryObjects.validate(found)
    assert dns_of(found) == {scenario.dn("Ann Lee").casefold(), scenario.dn("Lou Park").casefold()}
    ann = found[found["dn"].str.casefold() == scenario.dn("Ann Lee").casefold()].iloc[0]
    assert ann["mail"] == "ann.lee@contoso.com"
    assert "smtp:alee@contoso.com" in ann["proxyAddresses"]
    assert ann["objectClass"][-1] == "user"


def test_shared_address_gives_both_objects(source):
    found = source.lookup(["helpdesk@contoso.com"])
    assert dns_of(found) == {scenario.dn("Jim Help").casefold(), scenario.dn("Kay Help").casefold()}


@pytest.mark.parametrize("value", [scenario.INJECTION, "*", "*)(mail=*", "x\\2a@contoso.com", "nobody@contoso.com"])
def test_injection_and_unknown_find_nothing(source, value):
    found = source.lookup([value])
    assert len(found) == 0
    assert list(found.columns) == list(DIRECTORY_COLUMNS)


@pytest.mark.filterwarnings("ignore:INSECURE")
def test_lookup_dns_and_reports(bconfig):
    source = open_source(trusting(bconfig))
    found = source.lookup_dns([scenario.dn("Ann Lee").upper(), scenario.dn("Sales"), "CN=Nobody," + scenario.STAFF])
    assert dns_of(found) == {scenario.dn("Ann Lee").casefold(), scenario.dn("Sales").casefold()}
    reports = source.lookup_reports([scenario.dn("Mona Manager"), scenario.dn("Bob Ross").lower()])
    assert dns_of(reports) == {scenario.dn("Dan Kim").casefold(), scenario.dn("Ann Lee").casefold()}
    # lookup_dns: one search; lookup_reports: one for the managers not seen yet (their directReports), one for
    # the reports not seen yet (Dan Kim; Ann Lee was found by the first); empty input sends nothing
    assert len(source.lookup_dns([])) == 0 and source.searches == 3
    assert dns_of(source.lookup_reports([scenario.dn("Mona Manager")])) == {scenario.dn("Dan Kim").casefold()}
    assert source.searches == 3  # all known: no search


def test_read_all_under_base(source):
    everything = source.read_all(scenario.STAFF)
    assert dns_of(everything) == {n.casefold() for n, _ in scenario.OBJECTS} | {scenario.STAFF.casefold()}


@pytest.mark.filterwarnings("ignore:INSECURE")
def test_live_frame_equals_scenario_frame(bconfig):
    """Live == export: what LDAP gives equals directory_frame over the data that was written (both backends)."""
    with open_source(trusting(bconfig)) as source:
        live = normalized(source.lookup(all_addresses()))
    expected = normalized(scenario.frame())
    assert len(live) == len(scenario.OBJECTS)
    assert list(live.columns) == list(expected.columns)
    for column in expected.columns:
        pd.testing.assert_series_equal(live[column], expected[column], check_names=True, obj=column)


def test_base_dn_defaults_to_default_naming_context(config):
    del config["base_dn"]
    with LdapSource.from_config(config) as src:
        assert len(src.lookup(["sales@contoso.com"])) == 1
        assert src.base_dns() == [scenario.BASE_DN]


def test_several_base_dns(config):
    config["base_dn"] = [scenario.STAFF, "CN=Users," + scenario.BASE_DN]
    with LdapSource.from_config(config) as src:
        assert len(src.lookup(["sales@contoso.com"])) == 1
        assert src.searches == 2  # one per base


@pytest.mark.filterwarnings("ignore:INSECURE")
def test_starttls_on_389(bconfig, samba_dc):
    config = trusting(bconfig)
    config["source"] = f"ldap://127.0.0.1:{samba_dc.ldap_port}"
    with open_source(config) as src:
        assert dns_of(src.lookup(["sales@contoso.com"])) == {scenario.dn("Sales").casefold()}
        assert src.describe()["tls"] == "starttls"


def test_plain_ldap_is_refused(config, samba_dc):
    config.update(source=f"ldap://127.0.0.1:{samba_dc.ldap_port}", starttls=False)
    with pytest.raises(SourceError, match="plain LDAP"):
        LdapSource.from_config(config)


@pytest.mark.filterwarnings("ignore:INSECURE")
def test_two_thousand_addresses_take_few_searches(bconfig):
    wanted = all_addresses()
    wanted += [f"missing.{i:05d}@contoso.com" for i in range(2000 - len(wanted))]
    assert len(wanted) == 2000
    with open_source(trusting(bconfig)) as src:
        found = src.lookup(wanted)
        assert src.searches <= 25
        assert src.searches == 14  # ceil(2000 / 150) chunks, one page each
    assert dns_of(found) == {n.casefold() for n, _ in scenario.OBJECTS}


@pytest.mark.filterwarnings("ignore:INSECURE")
def test_small_pages_still_see_everything(bconfig):
    config = trusting(bconfig)
    config["page_size"] = 3
    with open_source(config) as src:
        found = src.lookup(all_addresses())
        assert len(found) == len(scenario.OBJECTS)
        assert src.searches == 6  # 16 objects, 3 per page (the last page ends the cookie)


def test_describe_has_no_secret(source, samba_dc):
    source.lookup(["sales@contoso.com"])
    d = source.describe()
    assert samba_dc.admin_password not in repr(d)
    assert d == {"kind": "directory", "format": "ldap", "source": "ldaps://127.0.0.1:636", "tls": "ldaps",
                 "tls_verify": True, "base_dn": [scenario.BASE_DN], "bind_user": samba_dc.admin_upn}


# -- faults ---------------------------------------------------------------------------------------------------


def fails(config, *secrets: str, lookup=("sales@contoso.com",)) -> str:
    """Run a lookup that must fail; return the reason after checking no secret is in it (or its traceback)."""
    src = open_source(config)
    with pytest.raises(SourceError) as info:
        src.lookup(list(lookup))
    reason = str(info.value)
    shown = "".join(traceback.format_exception(info.value))
    for secret in secrets:
        assert secret not in reason and secret not in shown
    assert "127.0.0.1" in reason
    print(reason)  # shown with pytest -s / -rP: what a user would read
    return reason


@pytest.mark.filterwarnings("ignore:INSECURE")
def test_wrong_password(bconfig, samba_dc, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "Wrong-Passw0rd-xyz!")
    reason = fails(trusting(bconfig), "Wrong-Passw0rd-xyz!", samba_dc.admin_password)
    assert "bind as Administrator@contoso.com failed" in reason and "invalidCredentials" in reason


def test_password_env_not_set(bconfig, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV)
    assert PASSWORD_ENV in fails(bconfig)


def test_no_bind_user_without_gssapi(config, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_gssapi(name, *args, **kwargs):
        if name == "gssapi":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_gssapi)
    del config["bind_user"]
    assert "gssapi" in fails(config)


def test_certificate_of_unknown_ca(bconfig, samba_dc):
    config = bconfig
    del config["ca_file"]  # the system store does not know Samba's CA
    reason = fails(config, samba_dc.admin_password)
    assert "certificate could not be verified" in reason


def test_starttls_with_unknown_ca(bconfig, samba_dc):
    config = bconfig
    config["source"] = f"ldap://127.0.0.1:{samba_dc.ldap_port}"
    del config["ca_file"]
    assert "certificate could not be verified" in fails(config, samba_dc.admin_password)


def test_wrong_ca_file(bconfig, samba_dc, tmp_path):
    config = bconfig
    import subprocess

    key, cert = tmp_path / "k.pem", tmp_path / "ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=Some Other CA"], check=True, capture_output=True)
    config["ca_file"] = str(cert)
    assert "certificate could not be verified" in fails(config, samba_dc.admin_password)


def test_certificate_name_mismatch(bconfig, samba_dc):
    config = bconfig
    config.pop("tls_server_name", None)  # the certificate names DC1.contoso.com, not 127.0.0.1
    reason = fails(config, samba_dc.admin_password)
    assert "does not name 127.0.0.1" in reason


def test_nothing_listening(bconfig, samba_dc):
    config = bconfig
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config["source"] = f"ldaps://127.0.0.1:{port}"
    assert "connection refused" in fails(config, samba_dc.admin_password)


class SilentServer:
    """Accepts TCP connections and never sends a byte."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.clients: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.clients.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self):
        self.sock.close()
        for c in self.clients:
            c.close()


class FreezingProxy:
    """Forwards TCP to ``target`` until ``freeze`` is set; then swallows what the server sends."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.freeze = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client = self.sock.accept()[0]
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.open += [client, server]
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, src, dst, from_server):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data:
                return
            if from_server and self.freeze.is_set():
                continue
            try:
                dst.sendall(data)
            except OSError:
                return

    def close(self):
        self.sock.close()
        for s in self.open:
            s.close()


def test_server_that_never_answers(bconfig, samba_dc):
    config = bconfig
    silent = SilentServer()
    try:
        config.update(source=f"ldaps://127.0.0.1:{silent.port}", receive_timeout=1, connect_timeout=1)
        assert "timed out" in fails(config, samba_dc.admin_password)
    finally:
        silent.close()


@pytest.mark.filterwarnings("ignore:INSECURE")
def test_search_that_times_out(bconfig, samba_dc):
    config = trusting(bconfig)
    proxy = FreezingProxy(("127.0.0.1", samba_dc.ldaps_port))
    try:
        config.update(source=f"ldaps://127.0.0.1:{proxy.port}", receive_timeout=1)
        src = open_source(config)
        assert len(src.lookup(["sales@contoso.com"])) == 1  # connected and bound
        proxy.freeze.set()
        with pytest.raises(SourceError) as info:
            src.lookup(["ann.lee@contoso.com"])
        reason = str(info.value)
        print(reason)
        assert "searching DC=contoso,DC=com" in reason and "timed out" in reason
        assert samba_dc.admin_password not in reason
    finally:
        proxy.close()


@pytest.mark.filterwarnings("ignore:INSECURE")
def test_missing_base_dn(bconfig, samba_dc):
    config = trusting(bconfig)
    config["base_dn"] = "OU=Nowhere," + scenario.BASE_DN
    assert "does not exist" in fails(config, samba_dc.admin_password)


def test_python_ldap_with_tls_server_name_uses_ldap3(config):
    """libldap cannot verify a certificate name other than the host it connects to: ldap3 does it."""
    pytest.importorskip("ldap")
    config["backend"] = "python-ldap"
    with LdapSource.from_config(config) as src:
        assert src.backend == "ldap3"
        assert len(src.lookup(["sales@contoso.com"])) == 1
    del config["tls_server_name"]
    assert LdapSource.from_config(config).backend == "python-ldap"


def test_python_ldap_backend_not_installed(config, monkeypatch):
    from preflight.sources.directory import ldap as module

    monkeypatch.setattr(module, "_python_ldap_available", lambda: False)
    assert LdapSource.from_config(config).backend == "ldap3"  # auto
    config["backend"] = "python-ldap"
    with pytest.raises(SourceError, match="python-ldap is not installed"):
        LdapSource.from_config(config)


def test_insecure_no_tls_verify_warns(config):
    del config["ca_file"], config["tls_server_name"]
    config["insecure_no_tls_verify"] = True
    with LdapSource.from_config(config) as src:
        with pytest.warns(UserWarning, match="INSECURE"):
            assert len(src.lookup(["sales@contoso.com"])) == 1
        assert src.describe()["tls_verify"] is False


def test_bad_urls():
    for url in ("http://dc1", "ldaps://", "ldaps://user:pw@dc1", "ldaps://dc1:notaport"):
        with pytest.raises(SourceError) as info:
            LdapSource.from_config({"source": url})
        assert ":pw@" not in str(info.value)


def test_from_config_does_not_connect():
    src = LdapSource.from_config({"source": "ldaps://127.0.0.1:1", "bind_user": "x@y", "password_env": "NOPE"})
    assert src.searches == 0 and not src.connected
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        src.describe()
