"""Operate the backend: `python -m ticketing.cli migrate | load-demo | serve`."""

import argparse
import sys

from ticketing.business.config import ConfigError


def run_server(host: str, port: int, workers: int) -> None:
    import uvicorn

    config = uvicorn.Config(
        "ticketing.asgi:app", host=host, port=port, workers=workers, log_level="warning", access_log=False
    )
    if workers == 1:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            raise SystemExit(3)  # as uvicorn.run: the server could not start (the port is taken, say)
        return
    _run_workers(config, workers)


# A worker that keeps crashing is started again after 0.5 s, then 1, 2, 4… up to a minute; one that ran for a
# minute before dying counts as healthy again (its next restart waits 0.5 s).
FIRST_RESTART_DELAY = 0.5
MAX_RESTART_DELAY = 60.0
HEALTHY_AFTER = 60.0


def restart_delay(crashes_in_a_row: int) -> float:
    """Seconds to wait before starting a worker again after its `crashes_in_a_row`-th quick crash (1 = the first)."""
    return min(MAX_RESTART_DELAY, FIRST_RESTART_DELAY * 2 ** max(0, crashes_in_a_row - 1))


def _serve_on(config, sock) -> None:
    """A worker process: one uvicorn server accepting on its own socket."""
    import uvicorn

    config.configure_logging()
    uvicorn.Server(config).run(sockets=[sock])


def _run_workers(config, workers: int) -> None:
    """Run `workers` server processes, each accepting on its own listening socket (SO_REUSEPORT).

    With one socket shared by all workers, whichever worker wakes first accepts every connection waiting: sixteen
    kept-alive connections opened at once were split 13/3, 14/2 or 16/0 between two workers, and one worker did
    the work of both. With a socket each, the kernel spreads new connections between them. A worker that dies is
    started again on its socket, after a growing pause if it keeps dying (`restart_delay`); Ctrl-C or SIGTERM stops
    them all. Workers are plain `multiprocessing` processes (spawned, the socket passed to each): no private API.
    """
    import multiprocessing
    import signal
    import socket
    import time

    spawn = multiprocessing.get_context("spawn")
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:  # SO_REUSEPORT would share the port with another server of ours already on it: refuse instead
        probe.bind((config.host, config.port))
    except OSError as exc:
        print(f"cannot listen on {config.host}:{config.port}: {exc.strerror}", file=sys.stderr)
        raise SystemExit(3) from exc
    probe.close()
    sockets = []
    for _ in range(workers):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        # Accepted connections inherit TCP_NODELAY: a response written in two parts then goes out at once instead
        # of waiting for the client's delayed ACK (48 ms per request on a kept-alive connection, measured here).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((config.host, config.port))
        sock.listen(config.backlog)
        sock.set_inheritable(True)
        sockets.append(sock)

    def start(sock):
        process = spawn.Process(target=_serve_on, args=(config, sock), name="ticketing-worker")
        process.start()
        return process

    processes = [start(sock) for sock in sockets]
    started = [time.monotonic()] * workers
    crashes = [0] * workers  # quick crashes in a row, per worker
    restart_at: list[float | None] = [None] * workers
    stopping = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.append(True))
    while not stopping:
        time.sleep(0.1)
        now = time.monotonic()
        for i, process in enumerate(processes):
            if stopping:
                break
            if restart_at[i] is None and not process.is_alive():
                crashes[i] = 1 if now - started[i] >= HEALTHY_AFTER else crashes[i] + 1
                delay = restart_delay(crashes[i])
                print(
                    f"worker {process.pid} exited ({process.exitcode}); starting it again in {delay:g} s",
                    file=sys.stderr,
                )
                restart_at[i] = now + delay
            elif restart_at[i] is not None and now >= restart_at[i]:
                processes[i], started[i], restart_at[i] = start(sockets[i]), now, None
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ticketing.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the database to the latest schema")
    sub.add_parser("load-demo", help="load teams and agents from the business file (TICKETING_BUSINESS_CONFIG)")
    sub.add_parser("check-config", help="validate the business file and exit")
    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)

    from pydantic import ValidationError

    from ticketing.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        missing = ", ".join("TICKETING_" + str(e["loc"][0]).upper() for e in exc.errors())
        print(f"configuration error: set {missing} (see .env.example)", file=sys.stderr)
        return 2

    try:
        if args.command == "migrate":
            from ticketing.migrate import upgrade

            upgrade(settings.database_url)
            print("database is at the latest schema")
        elif args.command == "check-config":
            from ticketing.business.config import load_business

            config = load_business(settings.business_config)
            print(f"{settings.business_config}: {config.name}: {len(config.teams)} teams, {len(config.agents)} agents")
        elif args.command == "load-demo":
            from ticketing.agents.service import sync_from_config
            from ticketing.business.config import load_business
            from ticketing.db import make_engine, session_factory

            config = load_business(settings.business_config)
            engine = make_engine(settings.database_url)
            with session_factory(engine)() as session:
                teams, agents = sync_from_config(session, config)
            engine.dispose()
            print(f"loaded {config.name}: {teams} teams, {agents} agents")
        elif args.command == "serve":
            run_server(args.host, args.port, args.workers)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
