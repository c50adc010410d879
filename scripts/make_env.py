"""Create `.env` from `.env.example`, replacing every `generate` placeholder with a fresh random secret."""

import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    target, example = ROOT / ".env", ROOT / ".env.example"
    if target.exists():
        return 0
    shared: dict[str, str] = {}
    lines = []
    for line in example.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and value.strip().startswith("<generate"):
            # "<generate:NAME>" lets two variables share one secret (the service token on both sides).
            name = value.strip().removeprefix("<generate").removesuffix(">").lstrip(":") or key
            shared.setdefault(name, secrets.token_urlsafe(32))
            line = f"{key}={shared[name]}"
        lines.append(line)
    target.write_text("\n".join(lines) + "\n")
    target.chmod(0o600)
    print("created .env with fresh secrets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
