# Sourced by bin/run and bin/test: a virtualenv in .venv with the project installed.
# Reinstalls only when pyproject.toml changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Skolefravær needs Python 3.11 or newer as \$PYTHON or python3" >&2
  exit 1
fi
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  "$PYTHON" -m venv "$ROOT/.venv"
fi
stamp="$ROOT/.venv/.installed-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)-${1:-run}"
if [ ! -f "$stamp" ]; then
  echo "Installing dependencies into .venv …" >&2
  "$ROOT/.venv/bin/python" -m pip install -q --upgrade pip >/dev/null
  if [ "${1:-run}" = test ]; then
    "$ROOT/.venv/bin/python" -m pip install -q -e "$ROOT[test]"
  else
    "$ROOT/.venv/bin/python" -m pip install -q -e "$ROOT"
  fi
  touch "$stamp"
fi
