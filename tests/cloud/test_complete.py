"""PF640–PF642 (causes A-01, A-03, K-06): after the batch completes, the on-premises object of each
batch user (tests/ad/scenario.py's directory: in memory, and live on the Samba AD DC) against its
Exchange Online recipient (a Get-Recipient export the tests write)."""

from __future__ import annotations

import json

import pytest

import preflight
from ad import scenario
from cloud import exports as ex
from preflight.sources.directory import FrameSource
from preflight.sources.schemas import directory_frame

ROUTING = "contoso.mail.onmicrosoft.com"
LEGACY = scenario.LEGACY + "/cn=Recipients/cn="
BATCH = "EmailAddress\r\nann.lee@contoso.com\r\nbob.ross@contoso.com\r\nivy.mu@contoso.com\r\nmona.manager@contoso.com\r\n"
CLOUD = [
    # Ann: the cloud mailbox carries her old legacyExchangeDN and a routing address
    ex.recipient("Ann Lee", "ann.lee@contoso.com", "UserMailbox", f"X500:{LEGACY}ann.lee",
                 f"smtp:ann.lee@{ROUTING}", "smtp:ann.lee@contoso.onmicrosoft.com"),
    # Bob: neither (only the tenant's initial domain)
    ex.recipient("Bob Ross", "bob.ross@contoso.com", "UserMailbox", "smtp:bob.ross@contoso.onmicrosoft.com"),
    # Ivy: converted on premises already (a mail user there, without legacyExchangeDN); routing address as primary
    ex.recipient("Ivy Mu", "ivy.mu@contoso.com", "UserMailbox", f"smtp:ivy.mu@{ROUTING}"),
    # Mona: not moved yet (a mail user in the cloud): no PF640/PF641, but PF642 (no routing address)
    ex.recipient("Mona Manager", "mona.manager@contoso.com", "MailUser", f"x500:{LEGACY.upper()}MONA.MANAGER"),
]
CODES = ["PF640", "PF641", "PF642"]


def run(tmp_path, directory, *, stage="complete", cloud=CLOUD, tenant=None, batch=BATCH):
    (tmp_path / "recipients.csv").write_bytes(ex.export_csv(cloud))
    cfg = {"directory": directory, "cloud": {"recipients": [str(tmp_path / "recipients.csv")]}, "dns": {"stage": stage}}
    if tenant:
        cfg["tenant"] = {"domains": tenant}
    return preflight.check_bytes(batch.encode(), "wave.csv", cfg, select=CODES)


def found(report):
    return sorted((f.code, f.value.rpartition("/")[2] if f.code == "PF641" else f.row) for f in report.findings)


EXPECTED = [("PF640", 2), ("PF640", 3),  # Ann and Bob still have their homeMDB on premises
            ("PF641", "cn=bob.ross"),    # Bob's cloud mailbox lacks X500 of his legacyExchangeDN
            ("PF642", 3), ("PF642", 5)]  # Bob and Mona have no contoso.mail.onmicrosoft.com address


@pytest.fixture(scope="module")
def memory():
    return {"source": FrameSource(scenario.frame(), {"kind": "directory", "format": "memory"})}


def test_after_completion_each_cause_is_found(tmp_path, memory):
    report = run(tmp_path, memory)
    assert found(report) == EXPECTED
    by = {(f.code, f.row): f for f in report.findings}
    pf640 = by[("PF640", 2)]
    assert pf640.dn == scenario.dn("Ann Lee") and pf640.value == scenario.DATABASE and "mail-enabled user" in pf640.fix
    pf641 = by[("PF641", 3)]
    assert pf641.suggested_value == f"X500:{LEGACY}bob.ross" and pf641.severity.value == "error"
    pf642 = by[("PF642", 3)]
    assert pf642.suggested_value == f"smtp:bob.ross@{ROUTING}" and pf642.domain == ROUTING
    assert {r.status.value for r in report.results} == {"failed"}


def test_the_routing_domain_comes_from_the_tenant_domains_when_given(tmp_path, memory):
    report = run(tmp_path, memory, tenant=["contoso.com", "fabrikam.onmicrosoft.com"])
    assert {f.domain for f in report.findings if f.code == "PF642"} == {"fabrikam.mail.onmicrosoft.com"}
    report = run(tmp_path, memory, tenant=["contoso.com", ROUTING, "contoso.onmicrosoft.com"])
    assert [f.row for f in report.findings if f.code == "PF642"] == [3, 5]


def test_an_older_x500_of_the_onpremises_object_must_reach_the_cloud_too(tmp_path):
    old = "/o=First Organization/ou=First Administrative Group/cn=Recipients/cn=ann"
    ann = {"dn": scenario.dn("Ann Lee"), "objectClass": ["user"], "mail": "ann.lee@contoso.com", "homeMDB": "",
           "legacyExchangeDN": f"{LEGACY}ann.lee", "msExchRecipientTypeDetails": 128,
           "proxyAddresses": ["SMTP:ann.lee@contoso.com", f"X500:{old}", f"smtp:ann.lee@{ROUTING}"]}
    directory = {"source": FrameSource(directory_frame([ann]), {"kind": "directory"})}
    report = run(tmp_path, directory, batch="EmailAddress\r\nann.lee@contoso.com\r\n")
    (f,) = report.findings
    assert (f.code, f.value) == ("PF641", old)
    cloud = [ex.recipient("Ann Lee", "ann.lee@contoso.com", "UserMailbox", f"X500:{LEGACY}ann.lee", f"x500:{old.upper()}",
                          f"smtp:ann.lee@{ROUTING}")]
    report = run(tmp_path, directory, cloud=cloud, batch="EmailAddress\r\nann.lee@contoso.com\r\n")
    assert report.findings == [] and {r.status.value for r in report.results} == {"passed"}


def test_before_completion_they_are_skipped_and_pf602_after_it(tmp_path, memory):
    for stage in ("migrating", "cutover"):
        report = run(tmp_path, memory, stage=stage)
        assert {r.status.value for r in report.results} == {"skipped"}
        assert all("--stage complete" in r.reason for r in report.results)
    cfg = {"cloud": {"recipients": [str(tmp_path / "recipients.csv")]}, "dns": {"stage": "complete"}}
    report = preflight.check_bytes(BATCH.encode(), "wave.csv", cfg, select=["PF602"])
    assert report.results[0].status.value == "skipped" and "mailboxes" in report.results[0].reason


def test_without_the_data_they_are_skipped_with_the_reason(tmp_path, memory):
    (tmp_path / "recipients.csv").write_bytes(ex.export_csv(CLOUD))
    report = preflight.check_bytes(BATCH.encode(), "wave.csv", {"directory": memory, "dns": {"stage": "complete"}},
                                   select=CODES)
    assert {r.status.value for r in report.results} == {"skipped"}
    assert all("tenant recipients" in r.reason for r in report.results)
    cfg = {"cloud": {"recipients": [str(tmp_path / "recipients.csv")]}, "dns": {"stage": "complete"}}
    report = preflight.check_bytes(BATCH.encode(), "wave.csv", cfg, select=CODES)
    status = {r.code: (r.status.value, r.reason) for r in report.results}
    assert status["PF640"][0] == status["PF641"][0] == "skipped" and "--directory" in status["PF640"][1]
    assert status["PF642"][0] == "failed"  # the cloud side alone is enough for the routing address
    # Graph users alone cannot tell a mailbox: skipped, naming Get-Recipient
    (tmp_path / "users.json").write_text(json.dumps(ex.graph_pages([ex.user("ann.lee@contoso.com")], 10)[0]))
    cfg = {"directory": memory, "cloud": {"recipients": [str(tmp_path / "users.json")]}, "dns": {"stage": "complete"}}
    report = preflight.check_bytes(BATCH.encode(), "wave.csv", cfg, select=CODES)
    assert {r.status.value for r in report.results} == {"skipped"}
    assert all("Get-Recipient" in r.reason or "routing domain" in r.reason for r in report.results)


def test_an_export_without_the_attributes_skips_with_the_reason(tmp_path):
    ldif = tmp_path / "contoso.ldif"
    ldif.write_text("dn: CN=Ann Lee,OU=Staff,DC=contoso,DC=com\nobjectClass: user\nmail: ann.lee@contoso.com\n"
                    "proxyAddresses: SMTP:ann.lee@contoso.com\n\n")
    report = run(tmp_path, {"source": str(ldif)}, batch="EmailAddress\r\nann.lee@contoso.com\r\n")
    status = {r.code: (r.status.value, r.reason) for r in report.results}
    assert status["PF640"][0] == "skipped" and "homeMDB" in status["PF640"][1]
    assert status["PF641"][0] == "skipped" and "legacyExchangeDN" in status["PF641"][1]


def test_live_on_samba_gives_the_same_findings(tmp_path, live_directory):
    report = run(tmp_path, {**live_directory, "base_dn": [scenario.STAFF]})
    assert found(report) == EXPECTED
