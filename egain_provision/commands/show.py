"""`egain-provision show PLANFILE`: a saved plan rendered again, without contacting the tenant."""

from __future__ import annotations

import click

from egain_provision.commands.common import color_enabled
from egain_provision.render import FORMATS, render
from egain_provision.saved_plan import refuse
from egain_provision.workflow import load_plan_file


@click.command("show")
@click.argument("planfile", type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="As for `plan`: text for people, json (the plan document), markdown for a pull-request comment, "
    "github for the text plan with workflow annotations.",
)
@click.option("--no-color", is_flag=True, help="No colour in text output (also when NO_COLOR is set).")
def show_command(planfile: str, fmt: str, no_color: bool) -> None:
    """Render a saved PLANFILE again (from `plan --out`), without contacting the tenant.

    The file gets the checks `apply PLANFILE` makes before it trusts one: a format version this
    tool reads, a digest that matches (an edited plan is refused), the signature when
    EGAIN_PLAN_KEY is set, and the plan schema. The plan is then shown, and when apply would
    refuse it (an action outside the scope it was made under, more deletes than its limit, an
    ${env:...} value bound for a field that is not secret), each reason follows and show exits 1.
    No target is needed, and nothing is read from or sent to any tenant.

    \b
    Examples:
      egain-provision show plan.json
      egain-provision show --format markdown plan.json > comment.md
    """
    plan = load_plan_file(planfile)
    click.echo(render(plan, fmt, color=color_enabled(no_color)), nl=False)
    # Shown in full, then what apply would do with it: refuse it, naming each reason (exit 1).
    refuse(plan)
