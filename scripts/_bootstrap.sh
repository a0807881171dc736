# Sourced by scripts/setup and scripts/test: find Python >= 3.12, make .venv, install
# runic-ogm[dev] (everyday development) or runic-ogm[test] (the whole suite: dev plus the
# test servers, Sphinx and pyright).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

is_suitable() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
    local candidate
    for candidate in "${RUNIC_PYTHON:-}" python3.13 python3.12 python3 python; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 && is_suitable "$candidate"; then
            command -v "$candidate"; return 0
        fi
    done
    # pyenv installs that are not on PATH (no shims, or a global version below 3.12)
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 \
                     /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
        if [ -x "$candidate" ] && is_suitable "$candidate"; then
            echo "$candidate"; return 0
        fi
    done
    echo "runic needs Python 3.12 or newer and none was found;" \
         "install one or set RUNIC_PYTHON=/path/to/python3.12" >&2
    return 1
}

ensure_venv() {
    local extra="${1:-dev}"
    if [ ! -x "$VENV/bin/python" ] || ! is_suitable "$VENV/bin/python"; then
        local python
        python="$(find_python)"
        echo "runic: creating .venv with $("$python" --version 2>&1)" >&2
        rm -rf "$VENV"
        "$python" -m venv "$VENV"
    fi
    # Reinstall only when the dependency list changed since the last install, or when
    # more is wanted than was installed ([test] includes [dev]).
    local stamp="$VENV/.runic-installed"
    local digest have
    digest="$(sha256sum <"$ROOT/pyproject.toml" | cut -d' ' -f1)"
    have="$(cat "$stamp" 2>/dev/null || true)"
    if [ "$have" = "$digest $extra" ] || [ "$have" = "$digest test" ]; then
        return 0
    fi
    echo "runic: installing runic-ogm[$extra] into .venv" >&2
    "$VENV/bin/python" -m pip install --quiet --upgrade pip </dev/null
    # The distribution was called "runic" before it became runic-ogm.
    "$VENV/bin/python" -m pip uninstall --quiet --yes runic </dev/null >/dev/null 2>&1 || true
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[$extra]" </dev/null
    echo "$digest $extra" >"$stamp"
}
