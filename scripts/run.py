"""`make run`: start ticketing, actions and Rasa; wait until healthy; print what to open; Ctrl-C stops all."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import ROOT, Ports, Stack, StackError, main_loop, read_env_file


def main() -> int:
    env = read_env_file(ROOT / ".env")
    ports = Ports(
        ticketing=int(os.environ.get("MOSTRADOR_TICKETING_PORT", 8000)),
        actions=int(os.environ.get("MOSTRADOR_ACTIONS_PORT", 5055)),
        rasa=int(os.environ.get("MOSTRADOR_RASA_PORT", 5005)),
    )
    stack = Stack(env, ports, ROOT / "var", echo=os.environ.get("MOSTRADOR_VERBOSE") == "1")
    try:
        stack.check_ports()
    except StackError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1
    started = time.monotonic()
    print("starting ticketing, actions and Rasa (Rasa takes about 20 s to load its model)…", flush=True)
    stack.start()
    try:
        stack.wait_healthy(progress=lambda msg: print(f"  {msg} ({time.monotonic() - started:.0f} s)", flush=True))
    except StackError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        stack.stop()
        return 1
    except KeyboardInterrupt:
        stack.stop()
        return 0
    public = stack.env["TICKETING_PUBLIC_URL"]
    print(
        f"""
Mostrador is running ({time.monotonic() - started:.0f} s). Ctrl-C stops everything.

  Demo store        {public}/demo/es   (and /demo/en): the chat widget is in the corner
  Help center       {public}/help/es   (and /help/en)
  Ticket API docs   {public}/docs
  Rasa              http://localhost:{ports.rasa}/   (API token in .env: BOT_API_TOKEN)

Talk to the bot:
  curl -s localhost:{ports.rasa}/webhooks/rest/webhook -H 'Content-Type: application/json' \\
       -d '{{"sender": "ana", "message": "hola"}}'
Logs: MOSTRADOR_VERBOSE=1 make run
""",
        flush=True,
    )
    return main_loop(stack)


if __name__ == "__main__":
    sys.exit(main())
