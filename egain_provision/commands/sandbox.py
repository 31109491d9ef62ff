"""`egain-provision sandbox serve`: run the local API emulator over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from egain_provision.errors import UsageError

if TYPE_CHECKING:
    from egain_provision.sandbox import SandboxConfig

_RATE = click.FloatRange(0, 1)
_NON_NEGATIVE = click.FloatRange(min=0)
# sandbox/tenants.py's NORMALIZATIONS, named here so `--help` does not load the sandbox (a test keeps them equal).
_NORMALIZATIONS = (
    "trim",
    "lowercase-email",
    "trailing-slash",
    "nested-defaults",
    "reverse-ordered",
    "integers-as-strings",
    "booleans-as-strings",
)


@click.group("sandbox")
def sandbox_group() -> None:
    """The local emulator of the eGain Conversation Manager v3 setup API.

    \b
    Examples:
      egain-provision sandbox serve --port 8765
      egain-provision sandbox reset
    """


@sandbox_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="TCP port; 0 picks a free one (the banner shows which).",
)
@click.option(
    "--db",
    "db_path",
    default=".egain/sandbox.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="SQLite file holding the objects; created if missing, kept across restarts.",
)
@click.option(
    "--token-lifetime",
    default=3600.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds an access token stays valid.",
)
@click.option(
    "--mask-secrets",
    is_flag=True,
    help='Answer "********" for oauth2.payload and basicAuth.password instead of echoing them.',
)
@click.option(
    "--echo-defaults",
    is_flag=True,
    help="Answer with the spec's default for every attribute a request omitted (timeout 240, ...).",
)
@click.option("--latency-ms", default=0.0, type=_NON_NEGATIVE, help="Mean latency added to each API request (ms).")
@click.option(
    "--latency-jitter-ms",
    default=0.0,
    type=_NON_NEGATIVE,
    help="Latency varies uniformly by up to this much either side of the mean (ms).",
)
@click.option(
    "--error-rate",
    default=0.0,
    type=_RATE,
    help="Share of API requests refused with 500 or 503 before they are processed.",
)
@click.option(
    "--throttle-rate", default=0.0, type=_RATE, help="Share of API requests refused with 429 before they are processed."
)
@click.option(
    "--retry-after",
    default=1.0,
    show_default=True,
    type=_NON_NEGATIVE,
    help="Retry-After seconds sent with a 429 (fractions such as 0.05 allowed).",
)
@click.option(
    "--lost-answer-rate",
    default=0.0,
    type=_RATE,
    help="Share of writes that are committed and then have their connection dropped.",
)
@click.option(
    "--lost-answer-as",
    default="reset",
    show_default=True,
    type=click.Choice(["reset", "502", "504"]),
    help="How a lost answer reaches the client: the connection dropped, or a gateway's 502 or 504 "
    "sent after the write was stored.",
)
@click.option("--seed", type=int, default=None, help="Seed for the fault draws, for repeatable runs.")
@click.option(
    "--paging",
    default="honour",
    show_default=True,
    help="How lists page: honour ($pagenum/$pagesize), fixed:N (pages of N whatever is asked), "
    "none (pages of 25, no paginationInfo) or refuse-params (400-101 to any $ parameter; the plain list is whole).",
)
@click.option("--omit-pagination-info", is_flag=True, help="Answer lists without paginationInfo.")
@click.option(
    "--list-key",
    default="singular",
    show_default=True,
    type=click.Choice(["singular", "plural"]),
    help="The key a list answer holds its items under: channel, or channels.",
)
@click.option(
    "--empty-list",
    default="200",
    show_default=True,
    type=click.Choice(["200", "204", "404"]),
    callback=lambda _ctx, _param, value: int(value),
    help="How an empty list (page) is answered: 200 with no items, 204, or 404 with an eGain error body.",
)
@click.option("--extra-fields", is_flag=True, help="Answer every object with tenantId and createdBy added.")
@click.option("--enriched-references", is_flag=True, help='Answer references as {"id", "name"}.')
@click.option(
    "--mask-style",
    default="none",
    show_default=True,
    type=click.Choice(["none", "stars", "empty", "absent"]),
    help='Secrets answered as sent, as "********", as "", or left out (--mask-secrets is "stars").',
)
@click.option("--no-modified-in-lists", is_flag=True, help="List items without modified (GET by id keeps it).")
@click.option(
    "--list-lag",
    default=0.0,
    type=click.FloatRange(0, 3600),
    help="Seconds after its create before an object appears in lists (GET by id finds it at once).",
)
@click.option(
    "--list-lag-writes",
    is_flag=True,
    help="--list-lag covers every write: lists show each object as it was that long ago "
    "(an update shows late, a deleted object stays listed).",
)
@click.option(
    "--normalize",
    multiple=True,
    type=click.Choice(_NORMALIZATIONS),
    help="Store or answer values as a normalising tenant does (repeat for several classes): strings trimmed, "
    "notificationEmail lower-cased, callback with a / appended, the spec's defaults stored at every depth, "
    "intents.intent reversed, integers or booleans answered as strings.",
)
@click.option("--put-merges", is_flag=True, help="A PUT keeps every attribute its body omits (merges, not replaces).")
@click.option(
    "--numeric-modified",
    is_flag=True,
    help="Keep and answer modified as epoch milliseconds (a number); a PUT sends it back as that number.",
)
@click.option(
    "--churn-between-pages",
    default=0,
    type=click.IntRange(0, 10_000),
    help="At most this many times, before a page 2+ of a list is read, another client deletes an object "
    "of an earlier page and creates one of the same kind (the count stays the same).",
)
@click.option(
    "--delete-delay",
    default=0.0,
    type=click.FloatRange(0, 3600),
    help="Answer DELETE 202; the object stays (listed, readable) this many seconds, then is gone.",
)
@click.option(
    "--token-format",
    default="json",
    show_default=True,
    type=click.Choice(["json", "form"]),
    help="The token answer: JSON (RFC 6749) or form-encoded (access_token=...&token_type=bearer&expires_in=...).",
)
@click.option(
    "--rate-limit",
    default=None,
    metavar="RPS/BURST|TIER",
    help="A token bucket per client over the API paths (e.g. 50/5, or developer, basic, enterprise); "
    "over it: 429 with Retry-After.",
)
@click.option(
    "--rate-limit-retry-after/--no-rate-limit-retry-after",
    default=True,
    show_default=True,
    help="Send Retry-After (seconds to the next token, rounded up) with a rate-limit 429.",
)
@click.option(
    "--callback-timeout",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True, max=60),
    help="Seconds the Conversation Hub waits for a callback (or a token endpoint) before it counts it unreachable.",
)
def serve_command(host: str, port: int, db_path: str, **settings: Any) -> None:
    """Serve the sandbox over HTTP until Ctrl-C; prints its URLs and client credentials.

    Fault knobs and options can also be changed while it runs: PUT /_sandbox/faults and
    PUT /_sandbox/options (see README).
    """
    from egain_provision.sandbox import SandboxConfig
    from egain_provision.sandbox.server import bind, make_server

    # Every option other than where to listen is a SandboxConfig field of the same name.
    config = SandboxConfig(db_path=str(Path(db_path).resolve()), **settings)
    try:
        server = make_server(config)
    except ValueError as exc:
        raise UsageError(str(exc), hint="see egain-provision sandbox serve --help") from None
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}", hint="choose another --port") from None
    _print_banner(f"http://{host}:{sock.getsockname()[1]}", config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        # uvicorn has already shut down gracefully and re-raises the signal it caught.
        pass
    finally:
        sock.close()
    click.echo("Sandbox stopped.", err=True)


def _print_banner(url: str, config: SandboxConfig) -> None:
    from egain_provision.sandbox import BASE_PATH, TOKEN_PATH

    click.echo("eGain sandbox serving")
    click.echo(f"  url: {url}")
    click.echo(f"  base url: {url}{BASE_PATH}")
    click.echo(f"  token url: {url}{TOKEN_PATH}")
    click.echo(f"  client id: {config.client_id}")
    click.echo(f"  client secret: {config.client_secret}")
    click.echo(f"  database: {config.db_path}")
    click.echo("Press Ctrl-C to stop.")


@sandbox_group.command("reset")
@click.option(
    "--db",
    "db_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="The sandbox's SQLite file (default: EGAIN_SANDBOX_DB, else .egain/sandbox.db, the embedded sandbox).",
)
def reset_command(db_path: str | None) -> None:
    """Empty a sandbox: delete every object it holds, so the next plan starts from nothing.

    Only a sandbox's own database file is touched; any other file is refused. A sandbox being
    served from the file sees the reset at once (POST /_sandbox/reset does the same over HTTP).
    """
    import os

    from egain_provision.sandbox.store import Store, is_sandbox_database
    from egain_provision.targets import DEFAULT_SANDBOX_DB

    path = Path(db_path or os.environ.get("EGAIN_SANDBOX_DB") or DEFAULT_SANDBOX_DB)
    if not path.exists():
        click.echo(f"{path}: no sandbox there yet; nothing to reset.", err=True)
        return
    if not path.is_file() or not is_sandbox_database(path):
        raise UsageError(
            "not a sandbox database; refusing to touch it",
            where=str(path),
            hint="name the SQLite file a sandbox uses (--db), e.g. .egain/sandbox.db",
        )
    store = Store(str(path))
    try:
        count = store.reset()
    finally:
        store.close()
    click.echo(f"Reset the sandbox at {path}: deleted {count} object{'' if count == 1 else 's'}.", err=True)
