"""The access check of the rights checks on descriptors Samba builds from SDDL (no server)."""

from __future__ import annotations

import pytest

from preflight.checks.endpoint.access import CONTROL_ACCESS, FULL_ACCESS, RECEIVE_AS, WRITE_PROPERTY, check
from preflight.sources.rights import UndecodableDescriptor, decode_dacl

from endpoint.test_rights import sd

DOMAIN = "S-1-5-21-1-2-3"
ME, GROUP, OTHER = f"{DOMAIN}-1105", f"{DOMAIN}-1106", f"{DOMAIN}-1107"
TOKEN = frozenset({ME, GROUP, "S-1-1-0", "S-1-5-11"})
SEND_AS = "ab721a54-1e2f-11d0-9819-00aa0040529b"
TARGET = "bf967a0a-0de6-11d0-a285-00aa003049e2"


def dacl(aces: str):
    return decode_dacl(sd("O:DAG:DAD:" + aces, DOMAIN))


@pytest.mark.parametrize("aces, bits, types, granted", [
    (f"(A;;0x1;;;{GROUP})", FULL_ACCESS, (), True),
    (f"(A;;0x2;;;{GROUP})", FULL_ACCESS, (), False),                         # SendAs is not FullAccess
    (f"(A;;0x1;;;{OTHER})", FULL_ACCESS, (), False),                         # someone else's grant
    (f"(D;;0x1;;;{ME})(A;;0x1;;;{GROUP})", FULL_ACCESS, (), False),          # deny first
    (f"(A;CI;0x1;;;{GROUP})", FULL_ACCESS, (), True),
    (f"(A;CIIO;0x1;;;{GROUP})", FULL_ACCESS, (), False),                     # inherit-only: children's
    (f"(OA;;CR;{RECEIVE_AS};;{ME})", CONTROL_ACCESS, (RECEIVE_AS,), True),
    (f"(OA;;CR;{SEND_AS};;{ME})", CONTROL_ACCESS, (RECEIVE_AS,), False),     # another extended right
    (f"(A;;CR;;;{ME})", CONTROL_ACCESS, (RECEIVE_AS,), True),                # every extended right
    (f"(A;;GA;;;{ME})", CONTROL_ACCESS, (RECEIVE_AS,), True),
    (f"(OA;;WP;{TARGET};;{ME})", WRITE_PROPERTY, (TARGET,), True),
    (f"(A;;WP;;;{ME})", WRITE_PROPERTY, (TARGET,), True),                   # every property
    (f"(OA;;WP;{SEND_AS};;{ME})", WRITE_PROPERTY, (TARGET,), False),
    (f"(OA;;RP;{TARGET};;{ME})", WRITE_PROPERTY, (TARGET,), False),         # read is not write
    (f"(OD;;WP;{TARGET};;{ME})(A;;WP;;;{ME})", WRITE_PROPERTY, (TARGET,), False),
])
def test_the_first_applicable_ace_decides(aces, bits, types, granted):
    assert check(dacl(aces), TOKEN, bits, frozenset(types)).granted is granted


def test_an_explicit_allow_wins_over_an_inherited_deny():
    # a canonical DACL: explicit ACEs first; Samba keeps the given order of explicit then inherited ones
    decided = check(dacl(f"(OA;;CR;{RECEIVE_AS};;{ME})(OD;ID;CR;{RECEIVE_AS};;{GROUP})"), TOKEN, CONTROL_ACCESS,
                    frozenset({RECEIVE_AS}))
    assert decided.granted and not decided.ace.inherited
    decided = check(dacl(f"(OD;ID;CR;{RECEIVE_AS};;{GROUP})(OA;ID;CR;{RECEIVE_AS};;{ME})"), TOKEN, CONTROL_ACCESS,
                    frozenset({RECEIVE_AS}))
    assert not decided.granted and decided.ace.inherited and "denied by an inherited ACE" in decided.because()


def test_null_and_empty_dacls():
    assert check(None, TOKEN, FULL_ACCESS).granted
    assert not check(dacl(""), TOKEN, FULL_ACCESS).granted


@pytest.mark.parametrize("blob", [b"", b"\x01", b"\x01\x00\x04\x80" + b"\xff" * 16, b"not a descriptor at all"])
def test_garbage_is_undecodable_not_empty(blob):
    with pytest.raises(UndecodableDescriptor):
        decode_dacl(blob)


@pytest.mark.parametrize("options, error", [
    ({"migration_account": ""}, "migration_account"),
    ({"migration_account": 5}, "migration_account"),
    ({"migration_window_days": -1}, "migration_window_days"),
    ({"migration_window_days": True}, "migration_window_days"),
])
def test_bad_migration_account_options_are_configuration_errors(options, error):
    from preflight.config import Config, ConfigError
    from preflight.sources.endpoint import endpoint_options

    with pytest.raises(ConfigError, match=error):
        endpoint_options(Config(endpoint=options))


def test_the_migration_account_options():
    from preflight.config import Config
    from preflight.sources.endpoint import endpoint_options

    assert endpoint_options(Config())["migration_window_days"] == 30
    opts = endpoint_options(Config(endpoint={"migration_account": " CONTOSO\\svc ", "migration_window_days": 60}))
    assert opts["migration_account"] == "CONTOSO\\svc" and opts["migration_window_days"] == 60
