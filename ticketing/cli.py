"""Operate the backend: `python -m ticketing.cli migrate | load-demo | serve`."""

import argparse
import sys

from ticketing.business.config import ConfigError


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
            import uvicorn

            uvicorn.run(
                "ticketing.asgi:app",
                host=args.host,
                port=args.port,
                workers=args.workers,
                log_level="warning",
                access_log=False,
            )
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
