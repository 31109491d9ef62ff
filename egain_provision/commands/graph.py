"""`egain-provision graph PATHS...`: draw the routing the manifests declare, offline."""

from __future__ import annotations

import click

from egain_provision.commands.common import offline_manifests, parse_variables, var_options
from egain_provision.graph import manifest_graph, render_dot, render_mermaid
from egain_provision.manifest.report import text_line

GRAPH_FORMATS = ("mermaid", "dot")


@click.command("graph")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(GRAPH_FORMATS),
    default="mermaid",
    show_default=True,
    help="mermaid (a flowchart; GitHub draws it in a ```mermaid block) or dot (Graphviz: dot -Tsvg).",
)
@var_options
@click.pass_context
def graph_command(
    ctx: click.Context, paths: tuple[str, ...], fmt: str, var_pairs: tuple[str, ...], var_files: tuple[str, ...]
) -> None:
    """Draw the routing the manifests declare: objects grouped by kind, references as labelled arrows.

    Which account uses which channel and orchestration, which bot and participant that runs,
    where it escalates, and which authentication each application's callbacks use. A reference
    to an object the manifests do not declare is drawn dashed. PATHS are read as validate reads
    them; nothing is sent anywhere. Exits 1, with validate's diagnostics on stderr, when the
    manifests are invalid.

    \b
    Examples:
      egain-provision graph examples/byoc
      egain-provision graph --format dot manifests/ | dot -Tsvg > routing.svg
    """
    variables = parse_variables(var_pairs, var_files)
    # The diagram shows no value: a secret left unset (`${env:...}` on a laptop) is a warning, not a failure.
    manifest_set = offline_manifests(ctx, paths, variables)
    # Warnings (a reference declared nowhere) explain the dashed nodes; the diagram alone goes to stdout.
    for warning in manifest_set.warnings:
        click.echo(text_line(warning), nl=False, err=True)
    graph = manifest_graph(manifest_set.objects)
    click.echo(render_mermaid(graph) if fmt == "mermaid" else render_dot(graph), nl=False)
