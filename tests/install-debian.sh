#!/usr/bin/env bash
# Installs everything the test suite needs on a Debian 12 machine, as root:
#   - the real servers the tests start themselves, on loopback (Samba AD DC, BIND 9, OpenLDAP, nginx),
#     the headless browser the HTML report is tested in (Chromium and its driver), and Node.js
#     for Microsoft's SARIF multitool (npm @microsoft/sarif-multitool, which validates --format sarif),
#   - the headers python-ldap builds against (the fast-ldap extra),
#   - preflight itself, editable, with its test, lint and fast-ldap extras,
#   - python-ldap's own ldif.py beside the ldif package's (tests of preflight._ldif run both).
# The packages' own daemons are kept from starting (a policy-rc.d that exits 101, for the
# duration of the install only): the tests run their own instances, in temporary folders.
# Usage (README): tests/install-debian.sh && python -m pytest
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "tests/install-debian.sh: run as root (it installs Debian packages)" >&2
    exit 1
fi

policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# installed by preflight tests/install-debian.sh while it runs\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
fi

export DEBIAN_FRONTEND=noninteractive
packages="samba samba-ad-dc samba-ad-provision python3-samba bind9 bind9-utils slapd ldap-utils nginx-light
    chromium chromium-driver openssl ca-certificates git libldap2-dev libsasl2-dev"
# Node.js and npm from Debian, unless the machine has them already (another distribution of
# Node.js, which bundles npm, would conflict with Debian's npm package)
command -v npm >/dev/null 2>&1 || packages="$packages nodejs npm"
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $packages >/dev/null

python -m pip install -q --upgrade pip
python -m pip install -q -e ".[test,lint,fast-ldap]"
# python-ldap's ldif.py and the ldif package's are the same file name, and the one installed last
# wins. preflight reads and writes LDIF through either; the tests use the ldif package's (as a
# default install does) and load python-ldap's, taken from its source release, from .cache/.
python -m pip install -q --force-reinstall --no-deps "ldif>=4.2"
version=$(python -c 'import importlib.metadata as m; print(m.version("python-ldap"))')
mkdir -p .cache
if [ ! -f ".cache/python-ldap-$version-ldif.py" ]; then
    sdist=$(mktemp -d)
    python -m pip download -q --no-deps --no-binary :all: -d "$sdist" "python-ldap==$version"
    tar -xzf "$sdist"/*.tar.gz -C "$sdist" --wildcards '*/Lib/ldif.py'
    cp "$(find "$sdist" -path '*/Lib/ldif.py' | head -n 1)" ".cache/python-ldap-$version-ldif.py"
    rm -rf "$sdist"
fi
cp ".cache/python-ldap-$version-ldif.py" .cache/python-ldap-ldif.py

# The SARIF multitool, where tests/core/test_formats.py looks for it (it installs it there itself
# on first use otherwise): its version is MULTITOOL_VERSION in that file.
multitool=$(sed -n 's/^MULTITOOL_VERSION = "\(.*\)"$/\1/p' tests/core/test_formats.py)
cache="${PREFLIGHT_TEST_CACHE:-$HOME/.cache/preflight-tests}/sarif-multitool-$multitool"
if [ ! -x "$cache/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool" ]; then
    mkdir -p "$cache"
    npm install --prefix "$cache" --no-audit --no-fund --silent "@microsoft/sarif-multitool@$multitool"
fi
