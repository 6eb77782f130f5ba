"""The unimatch operator commands, run against the service's own store."""

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence

from unimatch import errors, stats, validation
from unimatch.clock import Clock
from unimatch.config import Config, add_store_options, add_timezone_option, config_from_args
from unimatch.mail.queue import MailQueue
from unimatch.store import Store
from unimatch.wiring import StoreRuntime, build_rounds

DESCRIPTION = """\
Operator commands for UniMatch: hobbies, staff accounts, rounds, stats and mail.

They use the same store as the server: MONGO_URL (or --mongo-url) when set,
else the embedded database in the data directory, the server's default
(UNIMATCH_DATA_DIR, else ~/.local/share/unimatch) unless --data-dir says
otherwise. While the server runs, they share its embedded database. They
never create an empty embedded database unless given --create.
"""

Command = Callable[[Store, Config, argparse.Namespace], Awaitable[int]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="unimatch", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    hobbies = commands.add_parser("hobbies", help="list or add hobbies")
    hobby_commands = hobbies.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = _command(hobby_commands, "add", "add a hobby")
    add.add_argument("name", help="the hobby's name, e.g. 'Шахматы'")
    _command(hobby_commands, "list", "list every hobby")

    match_now = _command(commands, "match-now", "run a matching round immediately",
                         "With TELEGRAM_BOT_TOKEN set, the round's Telegram notices are "
                         "queued for the server to send.")
    add_timezone_option(match_now)

    _command(commands, "stats", "print per-round statistics for organisers",
             "One line per finished round, the latest first, as staff read them at "
             "admin-api/stats/: participants, groups, trios, repeats, the share of groups "
             "with a common hobby, and of the members the share who answered \"did you "
             "meet?\", of those the share who met, and the mean rating ('-': nothing to "
             "count).")

    admin = _command(commands, "create-admin", "mark an existing user as staff")
    admin.add_argument("email")

    send = _command(commands, "send-email", "queue a message to every account",
                    "The server sends what is queued (when it runs with SMTP_URL). "
                    "Accounts without a real address (made by Telegram sign-in) are skipped.")
    send.add_argument("--subject", required=True, help="the subject line")
    send.add_argument("--html-file", required=True,
                      help="the message as an HTML file in UTF-8 ('-': standard input)")
    return parser


def _command(commands: argparse._SubParsersAction, name: str, summary: str,
             epilog: str | None = None) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".",
                                 epilog=epilog)
    add_store_options(parser)
    parser.add_argument("--create", action="store_true",
                        help="make a new, empty embedded database if the data directory has none")
    return parser


async def _run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    # Operators read the command's own output; the service's INFO chatter
    # (store opened, indexes) would bury it.
    level = "WARNING" if config.log_level == "INFO" else config.log_level
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    try:
        runtime = await StoreRuntime.open(config, share_embedded=True, create=args.create)
    except errors.NoDatabase as exc:
        print(f"error: no UniMatch database in {exc}; start the server once, point --data-dir "
              "or MONGO_URL at the right one, or pass --create for an empty one", file=sys.stderr)
        return 1
    print(f"store: {runtime.description}", file=sys.stderr)
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


async def _stats(store: Store, config: Config, args: argparse.Namespace) -> int:
    print(stats.stats_table(await stats.round_stats(store)))
    return 0


async def _send_email(store: Store, config: Config, args: argparse.Namespace) -> int:
    try:
        if args.html_file == "-":
            markup = sys.stdin.read()
        else:
            with open(args.html_file, encoding="utf-8") as source:
                markup = source.read()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.html_file}: {exc}", file=sys.stderr)
        return 2
    try:
        subject, markup = validation.parse_announcement(args.subject, markup)
    except errors.MessageText:
        print("error: the subject and the message must not be empty", file=sys.stderr)
        return 2
    queued = await MailQueue(store, Clock()).announcement(subject, markup)
    print(f"queued {queued} messages; the server sends them")
    return 0


COMMANDS: dict[tuple[str, str | None], Command] = {
    ("match-now", None): _match_now,
    ("hobbies", "add"): _hobbies_add,
    ("hobbies", "list"): _hobbies_list,
    ("create-admin", None): _create_admin,
    ("stats", None): _stats,
    ("send-email", None): _send_email,
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
