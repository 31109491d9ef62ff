"""`egain-provision test --target URL SCENARIOS...`: scripted conversations through a Conversation Hub."""

from __future__ import annotations

import os
from pathlib import Path

import click

from egain_provision.errors import ManifestError, TargetError, UsageError
from egain_provision.manifest import manifest_files
from egain_provision.manifest.report import text_line
from egain_provision.scenarios import FORMATS, HubTarget, Runner, TargetProblem, credentials_from, load_scenarios
from egain_provision.scenarios import render as render_results


@click.command("test")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path())
@click.option(
    "--target",
    required=True,
    metavar="URL",
    help="The served sandbox (its root or its API base URL), e.g. http://127.0.0.1:8080.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json for programs, junit (JUnit XML) for GitHub and GitLab test views.",
)
@click.option(
    "--junit-file",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the results as JUnit XML to FILE (for CI test views), whatever --format prints.",
)
@click.pass_context
def test_command(ctx: click.Context, scenarios: tuple[str, ...], target: str, fmt: str, junit_file: str | None) -> None:
    """Run scripted conversations (scenario files) through a served sandbox's Conversation Hub.

    Each scenario's customer writes to an account (by name); the hub routes through the applied
    setup to the callbacks it declares, where your bots run. Steps check what the hub delivered
    (expectDelivery), what the customer received (waitForReplyContaining, waitForReplyMatching),
    and switch agents or advance the hub's clock. SCENARIOS are files or directories of *.yaml.
    Exits 0 when every scenario passes, 1 otherwise (a failure, a step that cannot be established
    here, or a bad scenario file, reported as file:line:col).

    \b
    Examples:
      egain-provision sandbox serve --port 8080 &
      egain-provision test --target http://127.0.0.1:8080 examples/byoc/scenarios
      egain-provision test --target http://127.0.0.1:8080 --junit-file results.xml tests/scenarios
    """
    loaded, problems = load_scenarios(manifest_files(scenarios))
    if problems:
        for problem in problems:
            click.echo(text_line(problem), nl=False, err=True)
        raise ManifestError(f"{len(problems)} problem(s) in the scenario files; nothing was run", diagnostics=problems)
    try:
        hub = HubTarget(target, credentials_from(dict(os.environ), target))
    except TargetProblem as problem:
        raise TargetError(problem.message, hint=problem.hint) from None
    try:
        runner = Runner(hub)
        results = [runner.run(scenario) for scenario in loaded]
    except TargetProblem as problem:
        raise TargetError(problem.message, hint=problem.hint) from None
    finally:
        hub.close()
    click.echo(render_results(results, fmt), nl=False)
    if junit_file:
        try:
            Path(junit_file).write_text(render_results(results, "junit"), "utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {junit_file}: {exc.strerror}", hint="name a writable file") from None
    ctx.exit(0 if all(result.status == "passed" for result in results) else 1)
