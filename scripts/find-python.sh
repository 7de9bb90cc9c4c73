#!/usr/bin/env bash
# Prints the path of a CPython 3.13 interpreter, the one the whole project runs on (the Lambda
# runtime follows the interpreter that runs `chalice package`). Looks, in this order, at
# $PYTHON, `python3.13` on PATH (Debian 13), pyenv's versions, then uv's managed interpreters.
# A pyenv shim that exists but is not active fails the check and is skipped.
set -u
want="3.13"
is_cpython_313() {
  "$1" -c 'import platform, sys; sys.exit(0 if sys.version_info[:2] == (3, 13) and platform.python_implementation() == "CPython" else 1)' >/dev/null 2>&1
}
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
command -v "python$want" >/dev/null 2>&1 && candidates+=("$(command -v "python$want")")
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root 2>/dev/null)
  for dir in $(ls -d "$root/versions/$want".* 2>/dev/null | sort -V -r); do
    candidates+=("$dir/bin/python")
  done
fi
if command -v uv >/dev/null 2>&1; then
  found=$(uv python find "$want" 2>/dev/null) && candidates+=("$found")
fi
for candidate in "${candidates[@]}"; do
  if is_cpython_313 "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done
echo "permit-service needs CPython $want: 'apt-get install python3.13' (Debian 13), 'pyenv install $want' or 'uv python install $want', then run make again." >&2
exit 1
