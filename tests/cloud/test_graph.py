"""The live Microsoft Graph read, against a local nginx (HTTPS) that serves recorded Graph responses:
client-credentials sign-in, paging by @odata.nextLink, throttling (429 with Retry-After), failures."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time

import pytest
from cloud import exports as ex
from servers.nginx import free_tcp_port

import preflight
from preflight.registry import SourceError
from preflight.sources.graph import MAX_RETRIES, GraphOptions, read_graph

pytestmark = [pytest.mark.servers,
              pytest.mark.skipif(not shutil.which("nginx") or not shutil.which("openssl"), reason="needs nginx and openssl")]

SECRET_ENV = "PREFLIGHT_TEST_GRAPH_SECRET"
SECRET = "s3cret~Value.never-shown"
TOKEN = "recorded-access-token"
TENANT = "contoso.onmicrosoft.com"

#: Not servers.nginx.start_nginx: the throttling needs an http-level limit_req_zone, which its per-site blocks cannot hold.
NGINX_CONF = """
daemon off; master_process off; pid {d}/nginx.pid; error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log {d}/access.log;
  client_body_temp_path {d}/tmp/body; proxy_temp_path {d}/tmp/proxy; fastcgi_temp_path {d}/tmp/fastcgi;
  uwsgi_temp_path {d}/tmp/uwsgi; scgi_temp_path {d}/tmp/scgi;
  limit_req_zone $server_port zone=graph:1m rate=1r/s;
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {d}/cert.pem; ssl_certificate_key {d}/key.pem;
    default_type application/json;
    location = /{tenant}/oauth2/v2.0/token {{
      if ($request_method != POST) {{ return 405; }}
      return 200 '{{"token_type":"Bearer","expires_in":3599,"access_token":"{token}"}}';
    }}
    location = /wrong-secret/oauth2/v2.0/token {{
      return 401 '{{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}}';
    }}
    location /v1.0/ {{
      if ($http_authorization != "Bearer {token}") {{
        return 401 '{{"error":{{"code":"InvalidAuthenticationToken","message":"Access token is empty."}}}}';
      }}
      limit_req zone=graph; limit_req_status 429; add_header Retry-After 1 always;
      root {d}/www;
    }}
    location /always-throttled/ {{ add_header Retry-After 7 always; return 429 '{{"error":{{"code":"TooManyRequests"}}}}'; }}
  }}
}}
"""


@pytest.fixture(scope="module")
def graph_server(tmp_path_factory):
    """nginx over HTTPS serving a recorded GET /users (3 pages) and GET /subscribedSkus."""
    d = tmp_path_factory.mktemp("graph")
    (d / "tmp").mkdir()
    port = free_tcp_port()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
                   check=True, capture_output=True)
    base = f"https://127.0.0.1:{port}"
    users = [ex.user("ann@contoso.com", licences=[ex.licence(ex.E3)]), ex.user("bob@contoso.com"),
             ex.user("erin@contoso.com", synced=None, licences=[ex.licence(ex.E3)]),
             ex.user("ivy@contoso.com", licences=[ex.licence(ex.BASIC)]), ex.user("zed@contoso.com")]
    pages = ex.graph_pages(users, 2)
    www = d / "www" / "v1.0"
    www.mkdir(parents=True)
    for n, page in enumerate(pages):
        if "@odata.nextLink" in page:
            page["@odata.nextLink"] = f"{base}/v1.0/users-page{n + 2}?$skiptoken=RFNwdAIAAQAAAC{n}"
        (www / ("users" if n == 0 else f"users-page{n + 1}")).write_text(json.dumps(page))
    (www / "subscribedSkus").write_bytes(ex.subscribed_skus())
    (d / "nginx.conf").write_text(NGINX_CONF.format(d=d, port=port, tenant=TENANT, token=TOKEN))
    proc = subprocess.Popen(["nginx", "-c", str(d / "nginx.conf"), "-p", str(d)], stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"nginx did not start: {proc.stderr.read() if proc.stderr else ''}")
        yield {"base": base, "ca": str(d / "cert.pem"), "log": d / "access.log", "dir": d}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _options(server, **kw) -> GraphOptions:
    return GraphOptions(kw.pop("tenant", TENANT), "11111111-2222-3333-4444-555555555555", SECRET_ENV,
                        graph_url=kw.pop("graph_url", server["base"]), login_url=server["base"], ca_file=server["ca"], **kw)


def test_reads_every_page_through_throttling(graph_server, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    waits: list[float] = []
    responses = read_graph(_options(graph_server), sleep=lambda s: (waits.append(s), time.sleep(s)))
    names = [name for name, _ in responses]
    assert names == [f"{graph_server['base']}/v1.0/users", f"{graph_server['base']}/v1.0/subscribedSkus"]
    pages = [json.loads(line) for line in responses[0][1].splitlines()]
    assert [len(p["value"]) for p in pages] == [2, 2, 1]
    log = graph_server["log"].read_text()
    assert '" 429 ' in log and waits and all(w == 1.0 for w in waits)  # nginx throttled; we waited its Retry-After


def test_the_checks_run_on_the_live_read(graph_server, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    cloud = {"graph_tenant": TENANT, "graph_client_id": "11111111-2222-3333-4444-555555555555",
             "graph_secret_env": SECRET_ENV, "graph_url": graph_server["base"], "graph_login_url": graph_server["base"],
             "graph_ca_file": graph_server["ca"]}
    batch = b"EmailAddress\r\nann@contoso.com\r\nbob@contoso.com\r\nerin@contoso.com\r\ndan@contoso.com\r\n"
    report = preflight.check_bytes(batch, "b.csv", {"cloud": cloud}, select=["PF600", "PF610", "PF620"])
    assert sorted((f.code, f.row) for f in report.findings) == [("PF600", 5), ("PF610", 4), ("PF620", 3)]
    assert {"kind": "tenant-recipients", "paths": [f"{graph_server['base']}/v1.0/subscribedSkus",
                                                   f"{graph_server['base']}/v1.0/users"],
            "recipients": 0, "users": 5, "skus": 3} in report.inputs


def test_a_refused_sign_in_errors_the_checks_without_showing_the_secret(graph_server, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    with pytest.raises(SourceError) as exc:
        read_graph(_options(graph_server, tenant="wrong-secret"))  # the recorded answer to a wrong secret
    assert "HTTP 401" in str(exc.value) and "invalid_client" in str(exc.value) and SECRET not in str(exc.value)
    monkeypatch.delenv(SECRET_ENV)
    with pytest.raises(SourceError, match=f"{SECRET_ENV} holds no client secret"):
        read_graph(_options(graph_server))


def test_throttled_for_good_is_an_error_after_the_retries(graph_server, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    waits: list[float] = []
    with pytest.raises(SourceError, match=f"HTTP 429 .*still throttled after {MAX_RETRIES} retries"):
        read_graph(_options(graph_server, graph_url=graph_server["base"] + "/always-throttled"), sleep=waits.append)
    assert waits == [7.0] * MAX_RETRIES


def test_an_untrusted_certificate_and_a_next_link_to_another_host_are_refused(graph_server, monkeypatch, tmp_path):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    other = GraphOptions(TENANT, "x", SECRET_ENV, graph_url=graph_server["base"], login_url=graph_server["base"])
    with pytest.raises(SourceError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        read_graph(other)  # the system CAs do not trust the test certificate
    www = graph_server["dir"] / "www" / "v1.0" / "evil"
    www.write_text(json.dumps({"value": [], "@odata.nextLink": "https://graph.example.invalid/v1.0/users?x=1"}))
    from preflight.sources.graph import _Client

    client = _Client(_options(graph_server), time.sleep)
    with pytest.raises(SourceError, match="another host"):
        client.pages(graph_server["base"] + "/v1.0/evil", TOKEN)
    assert os.environ[SECRET_ENV] == SECRET

