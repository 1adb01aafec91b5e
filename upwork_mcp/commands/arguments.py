"""The arguments of `upwork-mcp watch`, `sink` and `sandbox post-job|change-job` (argparse only: `--help`
answers without loading the engine)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ..facts import PROPOSAL_STATUSES

VERDICTS = ["APPLY", "REVIEW", "SKIP"]
SINK_KINDS = ["webhook", "slack", "discord", "telegram", "ntfy"]


def sandbox_flag(parser: argparse.ArgumentParser) -> None:
    """The one `--sandbox` flag: the command acts on the embedded offline sandbox and its own state."""
    parser.add_argument("--sandbox", action="store_true", help="use the embedded offline sandbox (no account)")


def _verdict(text: str) -> str:
    if text.upper() not in VERDICTS:
        raise argparse.ArgumentTypeError("use APPLY, REVIEW or SKIP (SKIP: every job)")
    return text.upper()


def watch_parser(sub: Any, func: Callable[[argparse.Namespace], int]) -> None:
    watch = sub.add_parser("watch", help="saved searches: new matching jobs, once, ranked by your criteria, delivered")
    actions = watch.add_subparsers(dest="watch_command", required=True)
    add = actions.add_parser("add", help="save a watch (filters, or --url of an Upwork search)")
    add.add_argument("name")
    add.add_argument(
        "--source", choices=["feed", "search", "proposals"], default="feed", help="proposals: changes to yours"
    )
    add.add_argument("--url", help="an Upwork job-search URL to take filters from")
    add.add_argument("--q")
    add.add_argument("--skills", help="comma-separated")
    add.add_argument("--category")
    add.add_argument("--job-type", choices=["hourly", "fixed"])
    add.add_argument("--budget-min", type=float)
    add.add_argument("--budget-max", type=float)
    add.add_argument("--hourly-min", type=float)
    add.add_argument("--level", choices=["entry", "intermediate", "expert"])
    add.add_argument("--payment-verified", action="store_true")
    add.add_argument("--country")
    add.add_argument("--client-spend-min", type=float)
    add.add_argument("--sink", action="append", help="a sink name (upwork-mcp sink list; repeatable)")
    add.add_argument(
        "--min-verdict", type=_verdict, help="the least verdict sent to its sinks (default REVIEW: APPLY and REVIEW)"
    )
    add.add_argument("--interval", type=int, help="minutes between checks (search, proposals: at least 15)")
    actions.add_parser("list", help="the watches (every user's, in a team deployment)")
    preview = actions.add_parser("preview", help="what a watch matches now (marks nothing seen)")
    preview.add_argument("name")
    preview.add_argument("--limit", type=int, default=10)
    check = actions.add_parser("check", help="new jobs since the last check (each reported once)")
    check.add_argument("names", nargs="*")
    remove = actions.add_parser("remove", help="delete a watch")
    remove.add_argument("name")
    runner = actions.add_parser("run", help="check watches when due and deliver to sinks, until stopped")
    runner.add_argument("--once", action="store_true", help="one round, then exit (for cron)")
    runner.add_argument(
        "--allow-search", action="store_true", help="let scheduled watches over Upwork's search run (budgeted)"
    )
    actions.add_parser("config", help="print the watch settings file (or the defaults) and its path")
    criteria = actions.add_parser(
        "criteria", help="show or state your ranking criteria (jobs are ranked only by criteria you state)"
    )
    criteria.add_argument("--want", help="what you want, comma-separated (skills, kinds of work)")
    criteria.add_argument("--avoid", help="what you won't take, comma-separated: a job naming one is SKIP")
    criteria.add_argument("--rate-floor", type=float, help="your hourly floor in USD")
    criteria.add_argument("--fixed-floor", type=float, help="the smallest fixed budget worth your time, USD")
    criteria.add_argument("--exclude-countries", help="client countries to skip, comma-separated")
    verified = criteria.add_mutually_exclusive_group()
    verified.add_argument("--require-verified-payment", action="store_true", default=None)
    verified.add_argument("--allow-unverified-payment", dest="require_verified_payment", action="store_false")
    criteria.add_argument("--apply-at", type=float, help="APPLY at this score or above (0-100)")
    criteria.add_argument("--review-at", type=float, help="REVIEW at this score or above (0-100)")
    criteria.add_argument("--accept", action="store_true", help="take the shipped starting point as your criteria")
    for parser in actions.choices.values():
        sandbox_flag(parser)
    watch.set_defaults(func=func)


def sink_parser(sub: Any, func: Callable[[argparse.Namespace], int]) -> None:
    sink = sub.add_parser("sink", help="where watches send new jobs (webhook, Slack, Discord, Telegram, ntfy)")
    actions = sink.add_subparsers(dest="sink_command", required=True)
    add = actions.add_parser("add", help="add a sink (kept in the store, its address and secrets sealed)")
    add.add_argument("name")
    add.add_argument(
        "url",
        help="the address it posts to; Telegram: https://api.telegram.org/bot<TOKEN>/sendMessage?chat_id=<CHAT>",
    )
    add.add_argument("--kind", choices=SINK_KINDS, default="webhook")
    add.add_argument("--secret", help="a webhook's signing key (16+ characters; a new one is made if omitted)")
    add.add_argument("--min-verdict", type=_verdict, help="the least verdict it gets (default: what its watches send)")
    add.add_argument("--digest", action="store_true", default=None, help="one message per watch and round")
    add.add_argument("--replace", action="store_true", help="replace a sink of the same name")
    actions.add_parser("list", help="the sinks (names, kinds and hosts; never their secrets)")
    remove = actions.add_parser("remove", help="remove a sink")
    remove.add_argument("name")
    secret = actions.add_parser("secret", help="print a webhook sink's signing secret (for its receiver)")
    secret.add_argument("name")
    for parser in actions.choices.values():
        sandbox_flag(parser)
    sink.set_defaults(func=func)


def sandbox_posting_parser(sandbox: argparse.ArgumentParser) -> None:
    """`sandbox post-job` and `sandbox change-job`: new work in the embedded sandbox every process of this user
    shares (a server or `watch run` started with --sandbox sees it on its next request)."""
    actions = sandbox.add_subparsers(dest="sandbox_command")
    post = actions.add_parser("post-job", help="post a job to the embedded sandbox now")
    post.add_argument("--title")
    post.add_argument("--description")
    post.add_argument("--skills", help="comma-separated")
    money = post.add_mutually_exclusive_group()
    money.add_argument("--budget", type=float, help="a fixed budget in USD")
    money.add_argument("--hourly", help="an hourly range in USD, e.g. 30-60")
    post.add_argument("--count", type=int, default=1, help="how many (1-100); without a title each is different")
    change = actions.add_parser("change-job", help="change a job of the embedded sandbox (budget, open or closed)")
    change.add_argument("job_id", help="its id, or its feed id upwork-...")
    change.add_argument("--budget", type=float)
    change.add_argument("--status", choices=["open", "closed"])
    act = actions.add_parser(
        "change-proposal", help="the client acts on one of your sandbox proposals (status, a message, an offer)"
    )
    act.add_argument("proposal_id", help="its id (`upwork-mcp call list_proposals --sandbox` lists them)")
    act.add_argument("--status", choices=PROPOSAL_STATUSES)
    act.add_argument("--reason", help="the client's reason for the status")
    act.add_argument("--message", help="the client writes in the proposal's room (opening it)")
    act.add_argument("--offer", action="store_true", help="the client makes an offer on the job")
