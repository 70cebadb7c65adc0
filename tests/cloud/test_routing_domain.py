"""PF643 (cause A-06): after the batch, the on-premises organization must not be authoritative for the
tenant's routing domain and (with Exchange 2007) must have a Send connector to it — from the Configuration
partition as an ldifde export the tests write, and live on the Samba AD DC."""

from __future__ import annotations

import ldap3
import pytest

import preflight
from ad import exporters, scenario
from organization import objects

ROUTING = "contoso.mail.onmicrosoft.com"
TRANSPORT = "CN=Transport Settings," + scenario.ORG
ACCEPTED = "CN=Accepted Domains," + TRANSPORT
POLICIES = "CN=Recipient Policies," + scenario.ORG
ROUTING_GROUP_2007 = "CN=Exchange Routing Group (DWBGZMFD01QNBJR),CN=Routing Groups," + scenario.ADMIN_GROUP
CONNECTIONS = "CN=Connections," + ROUTING_GROUP_2007
TENANT = ["contoso.com", "contoso.onmicrosoft.com"]


def accepted(name: str, domain: str, flags: int) -> tuple[str, dict]:
    return f"CN={name},{ACCEPTED}", {"objectClass": "msExchAcceptedDomain", "msExchAcceptedDomainName": domain,
                                     "msExchAcceptedDomainFlags": flags}


def policy(name: str, proxies: list[str], non_authoritative: list[str] | None = None) -> tuple[str, dict]:
    attrs: dict = {"objectClass": "msExchRecipientPolicy", "gatewayProxy": proxies}
    if non_authoritative:
        attrs["msExchNonAuthoritativeDomains"] = non_authoritative
    return f"CN={name},{POLICIES}", attrs


def connector(name: str, *spaces: str) -> tuple[str, dict]:
    return f"CN={name},{CONNECTIONS}", {"objectClass": "msExchRoutingSMTPConnector", "routingList": list(spaces)}


CONTAINERS = [(dn, {"objectClass": "container"}) for dn in (TRANSPORT, ACCEPTED, POLICIES,
                                                            "CN=Routing Groups," + scenario.ADMIN_GROUP,
                                                            ROUTING_GROUP_2007, CONNECTIONS)]
DEFAULT_POLICY = policy("Default Policy", ["SMTP:@contoso.com", "X400:c=US;a= ;p=Contoso;o=Exchange;"])
#: An Exchange 2007 organization that routes the routing domain out: the scenario's servers, the
#: accepted domains, a policy, a Send connector for *.
ORGANIZATION = [e for e in objects.ENTRIES if e[0].endswith(scenario.CONFIGURATION_DN)]  # servers, stores, SCP
GOOD = [*ORGANIZATION, *CONTAINERS, DEFAULT_POLICY, accepted("contoso.com", "contoso.com", 4),
        accepted("Routing", ROUTING, 2), connector("Internet", "SMTP:*;1")]


def as_ldap(entries):
    """(dn, {attribute: [bytes]}) as an LDAP read returns them (what the exporters take)."""
    out = []
    for dn, attrs in entries:
        raw = {}
        for k, v in attrs.items():
            values = v if isinstance(v, list) else [v]
            raw[k] = [str(x).encode() for x in values]
        out.append((dn, raw))
    return out


def run(tmp_path, entries, *, stage="complete", tenant=TENANT, fmt="ldif"):
    path = tmp_path / f"exchange-config.{'ldif' if fmt == 'ldif' else 'csv'}"
    (exporters.write_ldifde if fmt == "ldif" else exporters.write_csvde)(as_ldap(entries), path)
    cfg: dict = {"directory": {"source": [str(path)]}, "dns": {"stage": stage}}
    if tenant:
        cfg["tenant"] = {"domains": tenant}
    return preflight.check_batch([], cfg, select=["PF643"])


def found(report):
    return sorted((f.attribute, f.value or "") for f in report.findings)


@pytest.mark.parametrize("fmt", ["ldif", "csvde"])
def test_a_relayed_routing_domain_with_a_send_connector_passes(tmp_path, fmt):
    report = run(tmp_path, GOOD, fmt=fmt)
    assert report.findings == [] and report.results[0].status.value == "passed", report.results


def test_an_authoritative_accepted_domain_and_no_connector_fail(tmp_path):
    entries = [*GOOD[:-2], accepted("Routing", ROUTING, 0)]  # authoritative; the Send connector removed
    report = run(tmp_path, entries)
    assert found(report) == [("msExchAcceptedDomainFlags", ROUTING), ("routingList", "")]
    auth = next(f for f in report.findings if f.attribute == "msExchAcceptedDomainFlags")
    assert auth.severity.value == "error" and auth.dn == f"CN=Routing,{ACCEPTED}" and "InternalRelay" in auth.fix
    # a wildcard accepted domain takes it in too; a connector for exactly the routing domain routes it
    entries = [*GOOD[:-2], accepted("Microsoft", "*.onmicrosoft.com", 0), connector("EXO", f"SMTP:{ROUTING};10")]
    assert found(run(tmp_path, entries)) == [("msExchAcceptedDomainFlags", "*.onmicrosoft.com")]


def test_exchange_2003_recipient_policies_decide_without_accepted_domains(tmp_path):
    servers_2003 = [e for e in ORGANIZATION if not e[0].endswith(objects.EX2007)]  # EX2003 and its stores only
    assert any(dn == objects.EX2003 for dn, _ in servers_2003)
    responsible = policy("Cloud", [f"smtp:@{ROUTING}"])
    report = run(tmp_path, [*servers_2003, *CONTAINERS, DEFAULT_POLICY, responsible])
    assert found(report) == [("msExchNonAuthoritativeDomains", ROUTING)]  # no connector needed: 2003 uses DNS
    relayed = policy("Cloud", [f"smtp:@{ROUTING}"], [f"smtp:@{ROUTING}"])
    assert run(tmp_path, [*servers_2003, *CONTAINERS, DEFAULT_POLICY, relayed]).findings == []


def test_skipped_with_the_reason(tmp_path):
    for stage in ("migrating", "cutover"):
        (res,) = run(tmp_path, GOOD, stage=stage).results
        assert res.status.value == "skipped" and "--stage complete" in res.reason
    (res,) = run(tmp_path, [e for e in GOOD if e is not DEFAULT_POLICY]).results  # an export made without policies
    assert res.status.value == "skipped" and "msExchRecipientPolicy" in res.reason and "ldifde" in res.reason
    (res,) = run(tmp_path, GOOD, tenant=None).results
    assert res.status.value == "skipped" and "routing domain" in res.reason
    (res,) = preflight.check_batch([], {"dns": {"stage": "complete"}, "tenant": {"domains": TENANT}},
                                   select=["PF643"]).results
    assert res.status.value == "skipped" and "Configuration partition" in res.reason


@pytest.fixture(scope="module")
def routing(samba_dc):
    """The organization (tests/organization/objects.py) with the routing objects of GOOD but the
    routing domain authoritative and no Send connector; removed again afterwards."""
    extra = [*CONTAINERS, DEFAULT_POLICY, accepted("contoso.com", "contoso.com", 4), accepted("Routing", ROUTING, 0)]
    entries = [*objects.ENTRIES, *extra]
    samba_dc.add_objects(entries)
    yield samba_dc
    samba_dc.delete_objects(entries)


def test_live_on_samba_and_through_its_export(routing, live_directory, tmp_path):
    cfg = {"directory": {**live_directory, "base_dn": [scenario.STAFF]}, "dns": {"stage": "complete"},
           "tenant": {"domains": TENANT}}
    report = preflight.check_batch([], cfg, select=["PF643"])
    assert found(report) == [("msExchAcceptedDomainFlags", ROUTING), ("routingList", "")], report.results
    from preflight.sources.directory.configuration import CONFIGURATION_FILTER

    conn = routing.connection()
    try:
        conn.search(scenario.CONFIGURATION_DN, CONFIGURATION_FILTER, ldap3.SUBTREE, attributes=[ldap3.ALL_ATTRIBUTES])
        read = [(e.entry_dn, dict(e.entry_raw_attributes)) for e in conn.entries]
    finally:
        conn.unbind()
    exporters.write_ldifde(read, tmp_path / "exchange-config.ldif")
    cfg["directory"] = {"source": [str(tmp_path / "exchange-config.ldif")]}
    assert found(preflight.check_batch([], cfg, select=["PF643"])) == found(report)
