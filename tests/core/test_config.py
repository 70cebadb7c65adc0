"""Configuration discovery and validation."""

from __future__ import annotations

import re

import pytest

from preflight.config import Config, ConfigError, load_config


def test_nearest_pyproject_with_a_preflight_table_wins(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.preflight]\nsso = true\nbatch_folder = "batches"\n')
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    (tmp_path / "a" / "pyproject.toml").write_text('[project]\nname = "other"\n')  # no [tool.preflight]
    cfg = load_config(start=sub)
    assert cfg.sso is True
    assert cfg.source == (tmp_path / "pyproject.toml").resolve()
    assert cfg.batch_folder == (tmp_path / "batches").resolve()


def test_preflight_toml_is_read_at_top_level(tmp_path):
    (tmp_path / "preflight.toml").write_text('ignore = ["PF152"]\n[dns]\nstage = "cutover"\n')
    cfg = load_config(start=tmp_path)
    assert cfg.ignore == ["PF152"] and cfg.dns == {"stage": "cutover"}


def test_no_config_gives_defaults(tmp_path):
    assert load_config(start=tmp_path) == Config()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ssoo = true\n", "unknown preflight option(s)"),
        ('sso = "yes"\n', "sso"),
        ('fail_on = "never"\n', "fail_on"),
        ("select = 3\n", "select"),
        ("[dns\n", "not valid TOML"),
    ],
)
def test_bad_config_is_an_error_naming_the_key(tmp_path, text, message):
    path = tmp_path / "preflight.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(path)


def test_relative_paths_resolve_against_the_config_file(tmp_path):
    (tmp_path / "preflight.toml").write_text("[tenant]\ndomains_file = 'tenant/domains.json'\n")
    cfg = load_config(tmp_path / "preflight.toml")
    assert cfg.path(cfg.tenant["domains_file"]) == tmp_path.resolve() / "tenant" / "domains.json"


def test_the_readme_configuration_example_is_valid():
    """README's ``[tool.preflight]`` example parses, and every table is accepted by its area."""
    import re

    import tomllib
    from conftest import ROOT

    from preflight.config import Config
    from preflight.sources import dns, tenant
    from preflight.sources.directory.ldap import LdapSource

    (block,) = re.findall(r"```toml\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    cfg = Config.from_mapping(tomllib.loads(block)["tool"]["preflight"])
    assert cfg.sso is True and cfg.directory["source"].startswith("ldaps://")
    LdapSource.from_config(cfg.directory)  # validates the keys; connects only when used
    dns.source_from_config(cfg)
    assert cfg.tenant["domains_file"].endswith(".json") and hasattr(tenant, "tenant_from_config")


@pytest.mark.parametrize("name", ["x.toml", "preflight.toml"])
def test_an_explicit_file_with_a_tool_preflight_table_is_read_from_it(tmp_path, name):
    """``--config x.toml`` holding a copy of pyproject's table (issue 15, item 13)."""
    path = tmp_path / name
    path.write_text('[project]\nname = "copied"\n\n[tool.preflight]\nsso = true\n\n[tool.preflight.dns]\nstage = "cutover"\n')
    cfg = load_config(path)
    assert cfg.sso is True and cfg.dns == {"stage": "cutover"} and cfg.source == path.resolve()


@pytest.mark.parametrize(("text", "message"), [
    ('sso = true\n[tool.preflight]\nfail_on = "warning"\n', "both a [tool.preflight] table and top-level option(s) (sso)"),
    ("[tool.black]\nline-length = 88\n", "no [tool.preflight]"),
    ('[tool]\npreflight = "x"\n', "must be a table"),
])
def test_a_tool_table_that_is_not_preflight_s_says_what_to_do(tmp_path, text, message):
    path = tmp_path / "x.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(path)
