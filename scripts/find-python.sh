#!/usr/bin/env bash
# Print the path of a Python interpreter of the wanted kind, or explain what to install and fail.
#   find-python.sh bot      -> Python 3.10 (Rasa 3.6 needs 3.8-3.10)
#   find-python.sh backend  -> Python 3.11 or newer
set -u
kind=${1:?bot or backend}
version_ok() { "$1" -c "import sys; v=sys.version_info[:2]; sys.exit(0 if $2 else 1)" 2>/dev/null; }
if [ "$kind" = bot ]; then
  for c in python3.10; do
    if p=$(command -v "$c") && version_ok "$p" "v == (3, 10)"; then "$p" -c "import sys; print(sys.executable)"; exit 0; fi
  done
  if command -v pyenv >/dev/null 2>&1 && prefix=$(pyenv prefix 3.10 2>/dev/null) && [ -x "$prefix/bin/python3.10" ]; then
    echo "$prefix/bin/python3.10"; exit 0
  fi
  for prefix in "$HOME"/.pyenv/versions/3.10*; do
    if [ -x "$prefix/bin/python3.10" ]; then echo "$prefix/bin/python3.10"; exit 0; fi
  done
  echo "Python 3.10 not found: the bot (Rasa 3.6) needs it. Install it (apt install python3.10, or pyenv install 3.10) or run everything with docker compose up." >&2
  exit 1
fi
for c in python3 python3.13 python3.12 python3.11; do
  if p=$(command -v "$c") && version_ok "$p" "v >= (3, 11)"; then "$p" -c "import sys; print(sys.executable)"; exit 0; fi
done
echo "Python 3.11 or newer not found: the ticketing backend needs it. Install python3.11 (or newer) or use docker compose up." >&2
exit 1
