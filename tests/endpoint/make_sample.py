"""Make ``sample_data/endpoint/mail.contoso.com.txt``: what an admin saves with
``openssl s_client -connect mail.contoso.com:443 -showcerts`` from an Exchange 2007
server on Windows Server 2003 -- a certificate from the organization's internal CA
(root sent too) and TLS 1.0 only. Run from the repository root:
``PYTHONPATH=src:tests python tests/endpoint/make_sample.py``. It serves the chain
with the nginx of the tests and saves the real ``openssl s_client`` output, less
the session's secrets (Master-Key, session ticket)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import tempfile
from pathlib import Path

from servers import nginx

from endpoint import certs

OUT = Path("sample_data/endpoint/mail.contoso.com.txt")


def main() -> None:
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    root_key, issuing_key, host_key = certs.key(), certs.key(), certs.key()
    root_name = certs.name("Contoso Root CA")
    root = certs.certificate(root_name, root_key, root_name, root_key, ca=True, not_before=start,
                             not_after=start + dt.timedelta(days=20 * 365))
    issuing = certs.certificate(certs.name("Contoso Issuing CA"), issuing_key, root_name, root_key, ca=True,
                                not_before=start, not_after=start + dt.timedelta(days=15 * 365))
    host = certs.certificate(certs.name(certs.HOST), host_key, issuing.subject, issuing_key, ca=False,
                             names=[certs.HOST, "autodiscover.contoso.com"], not_before=start,
                             not_after=start + dt.timedelta(days=10 * 365 + 3))
    with tempfile.TemporaryDirectory() as tmp:
        chain, key = Path(tmp) / "chain.pem", Path(tmp) / "key.pem"
        chain.write_bytes(certs.pem(host, issuing, root))
        key.write_bytes(certs.key_pem(host_key))
        server = nginx.start_nginx({"sample": f"    ssl_certificate {chain};\n    ssl_certificate_key {key};\n"
                                              "    ssl_protocols TLSv1;\n    ssl_ciphers DEFAULT:@SECLEVEL=0;"})
        try:
            out = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{server.ports['sample']}",
                                  "-servername", certs.HOST, "-showcerts", "-tls1", "-cipher", "DEFAULT@SECLEVEL=0"],
                                 input="", capture_output=True, text=True, timeout=30, check=True).stdout
        finally:
            server.stop()
    out = re.sub(r"(?m)^\s*(Master-Key|Session-ID|Session-ID-ctx|Resumption PSK):.*\n", "", out)
    out = re.sub(r"(?ms)^\s*TLS session ticket:\n.*?\n\n", "", out)
    out = out.replace(f"127.0.0.1:{server.ports['sample']}", f"{certs.HOST}:443")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(out)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
