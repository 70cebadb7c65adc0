"""Property tests: no input makes the API raise, and the address fast path
never accepts what email-validator refuses."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import preflight
from preflight.checks.batch.email_address import address_error, fast_ok
from preflight.model import Status


def _fast_ok(value: str) -> bool:
    return fast_ok([value])[0]


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_frame_follows_schema(data: bytes):
    from preflight.sources.batch_csv import parse_batch
    from preflight.sources.schemas import BatchRows

    frame = parse_batch(data).frame
    if frame is not None:
        BatchRows.validate(frame, lazy=True)


def _assert_complete(report):
    assert isinstance(report, preflight.Report)
    json.dumps(report.to_dict())
    # every selected check has a result for the one file, and none hides an internal error
    assert {r.code for r in report.results} == {c.code for c in preflight.list_checks() if c.area == "batch"}
    assert not [r for r in report.results if r.status is Status.ERRORED], report.results


@FAST
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_give_a_report(data):
    _assert_complete(preflight.check_bytes(data, "fuzz.csv", select=["PF1"]))
    _assert_frame_follows_schema(data)


csv_chars = st.sampled_from(list('ab@.,;"\t\r\n =é\x00#') + ["EmailAddress", "Password", "ForceChangePassword", "True"])


@FAST
@given(st.lists(csv_chars, max_size=200).map("".join), st.sampled_from(["utf-8", "utf-16", "utf-8-sig", "cp1252"]))
def test_arbitrary_csv_like_text_gives_a_report(text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    _assert_complete(preflight.check_bytes(data, "fuzz.csv", select=["PF1"]))
    _assert_frame_follows_schema(data)


atext = st.sampled_from(list("abcXYZ019!#$%&'*+/=?^_`{|}~-."))
label = st.text(alphabet="abz09-", min_size=1, max_size=8)


@settings(max_examples=600, deadline=None)
@given(
    st.lists(atext, min_size=1, max_size=70).map("".join),
    st.lists(label, min_size=1, max_size=4).map(".".join),
    st.sampled_from(["com", "local", "test", "c", "co", "x1", "invalid", "onion"]),
)
def test_fast_path_is_a_subset_of_email_validator(local, domain, tld):
    value = f"{local}@{domain}.{tld}"
    if _fast_ok(value):  # then PF131's full check (email-validator, strict) accepts it too
        assert address_error(value) is None, f"fast path accepted {value!r}: {address_error(value)}"


def test_fast_path_accepts_common_addresses_and_leaves_the_rest_to_the_library():
    for ok in ("ann.lee@contoso.com", "o'neil+x@mail.fabrikam.co.uk", "a@b.io"):
        assert _fast_ok(ok), ok
    for slow in ("ann@contoso.local", "ann@xn--bcher-kva.com", ".ann@contoso.com", "ann..lee@contoso.com",
                 "ann@contoso", "rené@contoso.com", "ann@-contoso.com", "a" * 65 + "@contoso.com"):
        assert not _fast_ok(slow), slow
