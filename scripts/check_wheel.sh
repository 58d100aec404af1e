#!/usr/bin/env bash
# Build the wheel from this working tree and run it the way a user would: installed in a fresh venv,
# from a folder outside the checkout, with the checkout off sys.path: `bimotion --help`, then
# `bimotion demo` (every stage, the grid included; a few minutes on a laptop CPU).
#
#   bash scripts/check_wheel.sh [WORK_DIR]    # default: a temporary folder, removed afterwards
#
# The venv reuses the installed dependencies (torch etc. need no download) through a plain path to
# the system site-packages: Python does not run the .pth files of such a path, so an editable install
# of this checkout there stays invisible and `import bimotion` can only find the wheel.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
if [ $# -ge 1 ]; then WORK="$1"; else WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT; fi
mkdir -p "$WORK/src" "$WORK/dist"
WORK="$(cd "$WORK" && pwd)"
case "$WORK/" in "$REPO"/*) echo "error: $WORK is inside the checkout; give a WORK_DIR outside $REPO" >&2; exit 2 ;; esac
git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1 || { echo "error: $REPO is not a git checkout (the wheel is built from its files)" >&2; exit 2; }

echo "== building the wheel from a copy of the tracked and not-ignored files (a stale build/ cannot leak in)"
(cd "$REPO" && git ls-files -z -co --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf -) | tar -xf - -C "$WORK/src"
python3 -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation -w "$WORK/dist" "$WORK/src"
WHEEL="$(ls "$WORK"/dist/bimotion-*.whl)"
python3 -m zipfile -l "$WHEEL" | grep -E '\.(yaml|md)\b' || { echo "error: $WHEEL holds no grid configs or card templates" >&2; exit 1; }

echo "== installing $(basename "$WHEEL") into a fresh venv"
V="$WORK/venv"
python3 -m venv "$V"
python3 -c "import sysconfig; print(sysconfig.get_paths()['purelib']); print(sysconfig.get_paths()['platlib'])" |
  sort -u >"$("$V/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")/zz-system-site-packages.pth"
"$V/bin/python" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall "$WHEEL"

cd "$WORK"
"$V/bin/python" - "$V" "$REPO" <<'EOF'
import os, sys
import bimotion, loaders, yuemotion
from bimotion.grid import shipped_config

venv, repo = (os.path.realpath(p) for p in sys.argv[1:])
assert not [p for p in sys.path if os.path.realpath(p or ".") == repo], f"the checkout {repo} is on sys.path"
for where in (bimotion.__file__, loaders.__file__, yuemotion.__file__, str(shipped_config("demo"))):
    assert os.path.realpath(where).startswith(venv + os.sep), f"{where} is not from the wheel in {venv}"
print(f"bimotion {bimotion.__version__} from {bimotion.__file__}")
EOF

echo "== bimotion --help; bimotion demo (from $WORK)"
"$V/bin/bimotion" --help >/dev/null
"$V/bin/bimotion" demo --output "$WORK/demo"
for table in table3 table4 table5; do
  [ -s "$WORK/demo/grid/tables/$table.md" ] || { echo "error: the demo wrote no $WORK/demo/grid/tables/$table.md" >&2; exit 1; }
done
echo "== the wheel runs everything"
