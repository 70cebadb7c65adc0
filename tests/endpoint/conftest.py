"""Fixtures of the endpoint tests: the test certificates (made with
``cryptography``), one nginx serving every case on its own port of 127.0.0.1
(session), a listener that accepts and never answers, and a refused port."""

from __future__ import annotations

import socket
from pathlib import Path
from types import SimpleNamespace

import pytest
from servers import nginx

from endpoint import certs

#: nginx locations: the RPC proxy asking for Basic and NTLM, as IIS with both enabled.
RPC_401 = ("location = /rpc/rpcproxy.dll { add_header WWW-Authenticate 'Basic realm=\"mail.contoso.com\"' always; "
           "add_header WWW-Authenticate 'NTLM' always; return 401; }")
AUTODISCOVER_401 = ("location = /autodiscover/autodiscover.xml { add_header WWW-Authenticate 'Basic realm=\"x\"' always; "
                    "add_header WWW-Authenticate 'NTLM' always; return 401; }")

#: RPC proxy variants (all with the valid certificate): site -> location
RPC_SITES = {
    "rpc-basic": "location = /rpc/rpcproxy.dll { add_header WWW-Authenticate 'Basic realm=\"x\"' always; return 401; }",
    "rpc-ntlm": "location = /rpc/rpcproxy.dll { add_header WWW-Authenticate 'NTLM' always; return 401; }",
    "rpc-negotiate": "location = /rpc/rpcproxy.dll { add_header WWW-Authenticate 'Negotiate' always; return 401; }",
    "rpc-404": "location = /rpc/rpcproxy.dll { return 404; }",
    "rpc-500": "location = /rpc/rpcproxy.dll { return 500; }",
    "rpc-403": "location = /rpc/rpcproxy.dll { return 403; }",
    "rpc-200": "location = /rpc/rpcproxy.dll { return 200 'anonymous'; }",
    "rpc-redirect": "location = /rpc/rpcproxy.dll { return 302 https://mail.contoso.com/owa/; }",
    "rpc-closed": "location = /rpc/rpcproxy.dll { return 444; }",  # nginx closes without answering
}


def _site(chain: Path, key: Path, *locations: str, protocols: str = "TLSv1.2 TLSv1.3") -> str:
    # SECLEVEL=0: OpenSSL 3 refuses to load a 1024-bit key or offer TLS 1.0/1.1 otherwise
    return "\n".join([f"    ssl_certificate {chain};", f"    ssl_certificate_key {key};",
                      f"    ssl_protocols {protocols};", "    ssl_ciphers DEFAULT:@SECLEVEL=0;",
                      *(f"    {loc}" for loc in locations)])


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """The test CA, its CA file, and every certificate case (files under a temp dir)."""
    folder = tmp_path_factory.mktemp("endpoint-certs")
    ca, ca_file, cases = certs.make_cases(folder)
    auto = ca.host("autodiscover.contoso.com", "fabrikam.com", "autodiscover.litware.com",
                   "autodiscover.tailspintoys.com")
    auto_chain, auto_key = folder / "autodiscover.pem", folder / "autodiscover.key"
    auto_chain.write_bytes(certs.pem(auto, ca.issuing))
    auto_key.write_bytes(certs.key_pem(ca.host_key))
    return SimpleNamespace(ca=ca, ca_file=ca_file, cases={c.name: c for c in cases}, folder=folder,
                           autodiscover=(auto_chain, auto_key))


@pytest.fixture(scope="session")
def nginx_server(pki):
    """nginx on 127.0.0.1: a site (port) per certificate case, the TLS 1.0/1.1-only
    site ``tls10``, the RPC proxy variants ``rpc-*``, and Autodiscover sites."""
    valid = pki.cases["valid"]
    sites = {name: _site(c.chain_file, c.key_file, RPC_401) for name, c in pki.cases.items()}
    sites["tls10"] = _site(valid.chain_file, valid.key_file, RPC_401, protocols="TLSv1 TLSv1.1")
    sites.update({name: _site(valid.chain_file, valid.key_file, loc) for name, loc in RPC_SITES.items()})
    chain, key = pki.autodiscover
    sites["autodiscover-401"] = _site(chain, key, AUTODISCOVER_401)
    sites["autodiscover-200"] = _site(chain, key, "location = /autodiscover/autodiscover.xml { return 200 'ok'; }")
    sites["autodiscover-404"] = _site(chain, key, "location = /autodiscover/autodiscover.xml { return 404; }")
    sites["autodiscover-wrong-name"] = _site(valid.chain_file, valid.key_file, AUTODISCOVER_401)
    server = nginx.start_nginx(sites)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def silent_port():
    """A port of 127.0.0.1 that accepts TCP connections (the kernel completes them
    from the backlog) and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        yield s.getsockname()[1]


@pytest.fixture(scope="session")
def refused_port():
    """A port of 127.0.0.1 where nothing listens (connections are refused)."""
    return nginx.free_tcp_port()

