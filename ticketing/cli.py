"""Operate the backend: `python -m ticketing.cli migrate | load-demo | serve`."""

import argparse
import sys

from ticketing.business.config import ConfigError


def run_server(host: str, port: int, workers: int) -> None:
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "ticketing.asgi:app", host=host, port=port, workers=workers, log_level="warning", access_log=False
    )
    if workers == 1:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            raise SystemExit(3)  # as uvicorn.run: the server could not start (the port is taken, say)
        return
    # Several workers share one listening socket made without a protocol number, so asyncio does not switch off
    # Nagle's algorithm on the connections it accepts, and a response written in two parts waits for the client's
    # delayed ACK: 48 ms per request on a kept-alive connection, measured here. Linux copies the option from the
    # listening socket to every accepted connection.
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()


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
