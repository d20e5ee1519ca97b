#!/bin/sh
# Install what calfin_qgis needs on Debian 12, idempotently: a second run only checks.
# 1. Debian's QGIS 3.22 (apt), 2. a venv that sees the system's qgis and GDAL bindings,
# 3. the pip packages of requirements.txt (numpy<2: numpy 2 breaks Debian's gdal_array).
# 4. the `calfin` command (this checkout, installed editable into the venv).
set -eu
VENV=${VENV:-.venv}
APT_PACKAGES="qgis python3-qgis qgis-providers python3-venv python3-pip"

missing=""
for p in $APT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing Debian packages:$missing"
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: run as root, or install them first: sudo apt-get install --no-install-recommends$missing" >&2
        exit 1
    fi
    apt-get update -qq
    # dpkg's progress goes to stdout (hidden); apt's errors go to stderr (shown)
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
        >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating $VENV (with system site packages, so that 'import qgis' works)"
    /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi

stamp="$VENV/.requirements.stamp"
if [ ! -f "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
    echo "setup: installing Python packages from requirements.txt"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt
    cp requirements.txt "$stamp"
fi

# 4. The `calfin` command in $VENV/bin: an editable install of this checkout (offline: the venv's
# setuptools and Debian's wheel). A linked venv belongs to another checkout: left alone.
package_stamp="$VENV/.package.stamp"
if [ -L "$VENV" ]; then
    [ -x "$VENV/bin/calfin" ] || echo "setup: $VENV is a link: not installing the calfin command into it"
elif [ ! -x "$VENV/bin/calfin" ] || ! cmp -s pyproject.toml "$package_stamp"; then
    echo "setup: installing the calfin command into $VENV/bin"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
        --no-build-isolation --no-index -e .
    cp pyproject.toml "$package_stamp"
fi
