"""``unimatch``: operator commands against the configured store.

They take the same options and environment as the server (``--mongo-url``
or MONGO_URL, ``--data-dir`` ...), so an operator points them at the same
database the service uses."""

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence

from unimatch import errors
from unimatch.clock import Clock
from unimatch.config import Config, add_options, config_from_args
from unimatch.store import Store
from unimatch.wiring import StoreRuntime, build_rounds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="unimatch", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    hobbies = commands.add_parser("hobbies", help="list or add hobbies")
    hobby_commands = hobbies.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = hobby_commands.add_parser("add", help="add a hobby")
    add.add_argument("name", help="the hobby's name, e.g. 'Шахматы'")
    add_options(add)
    listing = hobby_commands.add_parser("list", help="list every hobby")
    add_options(listing)

    match_now = commands.add_parser("match-now", help="run a matching round immediately")
    add_options(match_now)

    admin = commands.add_parser("create-admin", help="mark an existing user as staff")
    admin.add_argument("email")
    add_options(admin)
    return parser


async def _run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    # Operators read the command's own output; the service's INFO chatter
    # (store opened, indexes) would bury it.
    level = "WARNING" if config.log_level == "INFO" else config.log_level
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    runtime = await StoreRuntime.open(config, share_embedded=True)
    try:
        command = COMMANDS[(args.command, getattr(args, "action", None))]
        return await command(runtime.store, config, args)
    finally:
        await runtime.close()


async def _hobbies_add(store: Store, config: Config, args: argparse.Namespace) -> int:
    name = args.name.strip()
    if not name:
        print("error: the name is empty", file=sys.stderr)
        return 2
    # Seed first, as the server's first start would: adding one hobby to an
    # empty store must not leave it without the default list.
    await store.hobbies.seed_defaults()
    try:
        hobby = await store.hobbies.add(name)
    except errors.HobbyExists:
        print(f"error: hobby {name!r} already exists", file=sys.stderr)
        return 1
    print(f"added hobby {hobby['id']}: {hobby['name']}")
    return 0


async def _hobbies_list(store: Store, config: Config, args: argparse.Namespace) -> int:
    for hobby in await store.hobbies.all():
        print(f"{hobby['id']}\t{hobby['name']}")
    return 0


async def _create_admin(store: Store, config: Config, args: argparse.Namespace) -> int:
    try:
        user = await store.users.set_staff(args.email)
    except errors.NotFound:
        print(f"error: no user with email {args.email!r}", file=sys.stderr)
        return 1
    print(f"user {user['_id']} ({user['email']}) is now staff")
    return 0


async def _match_now(store: Store, config: Config, args: argparse.Namespace) -> int:
    summary = await build_rounds(config, store, Clock()).run_now()
    print(json.dumps(summary, ensure_ascii=False))
    return 0


Command = Callable[[Store, Config, argparse.Namespace], Awaitable[int]]

COMMANDS: dict[tuple[str, str | None], Command] = {
    ("match-now", None): _match_now,
    ("hobbies", "add"): _hobbies_add,
    ("hobbies", "list"): _hobbies_list,
    ("create-admin", None): _create_admin,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except ValueError as exc:
        parser.error(str(exc))
    except errors.StoreUnavailable as exc:
        print(f"error: database unavailable: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
