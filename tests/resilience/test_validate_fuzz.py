"""`validate` on hostile manifest text, hostile files and hostile arguments: an answer, never a traceback.

Every example runs `egain-provision validate` in process (tests/support.py `run_cli`) against a
folder of hostile files made once: a FIFO, /dev/zero behind a symlink, symlink loops and dangling
links, a file one byte over the `${file:}` limit, paths out of the manifest's tree. For each one
the run must end with a documented exit code and no "internal error", within a time bound (a
FIFO read blocks forever, so only a timer can tell) and a memory bound (what /dev/zero or an
unbounded read would break first).
"""

from __future__ import annotations

import os
import signal
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from egain_provision.manifest.reading import MAX_INCLUDED_BYTES
from tests.support import run_cli

# 5,000 examples in all (3,500 + 1,500), derandomized so CI runs the same ones every time.
FUZZ = settings(derandomize=True, database=None, suppress_health_check=list(HealthCheck))
EXAMPLE_SECONDS = 5  # one validate of a small manifest takes milliseconds; a blocked read never ends
PEAK_BYTES = 48 * 1024 * 1024  # a 384,000-byte include and its base64 fit many times over; /dev/zero does not

# What `${file:...}` may name: every kind of file and path that must be refused, and one good icon.
INCLUDES = [
    "icons/ok.png",
    "/proc/self/environ",
    "/dev/zero",
    "/etc/passwd",
    "../outside.png",
    "icons/../../outside.png",
    "icons/../icons/ok.png",
    "pipe.png",
    "zero.png",
    "loop.png",
    "dangling.png",
    "escape.png",
    "big.png",
    "icons",
    ".",
    "",
    "icons/ok.png/x",
    "~/.ssh/id_rsa",
]
NUMBERS = ["30", "9" * 5000, "0x" + "f" * 400, "0x_", "-0b_", ".inf", ".nan", "1e999", "18446744073709551616", "-0"]
NAMES = ["order-bot", "order-b\u043et", "order-\u200bbot", "\ufefforder-bot", "order-bot\u200f", "\uff4frder-bot"]
EXPRESSIONS = ["${var:ENV}", "${var:ENVV}", "${env:EGAIN_VAR_BOT_TOKEN_PAYLOAD}", "${env:HOME}", "$${", "${"]
SCALARS = st.one_of(
    st.sampled_from(NUMBERS),
    st.sampled_from(NAMES),
    st.sampled_from(EXPRESSIONS),
    st.sampled_from(INCLUDES).map(lambda path: f'"${{file:{path}}}"'),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
)

TEMPLATE = """\
version: 1
participants:
  - {{name: {name1}, type: custom_bot, application: bot-app}}
  - {{name: {name2}, type: custom_bot, application: {ref}}}
channels:
  - type: custom.{kind}
    displayName: {display}
    icon: {icon}
    restrictions:
      inbound:
        maxTextLength: {number}
"""
SLOTS = ("name1", "name2", "ref", "kind", "display", "icon", "number")


@st.composite
def manifest_texts(draw: st.DrawFn) -> str:
    """The template with hostile scalars in its slots, sometimes cut or spliced with YAML punctuation."""
    text = TEMPLATE.format(**{slot: draw(SCALARS) for slot in SLOTS})
    edit = draw(st.sampled_from(["none", "none", "cut", "splice"]))
    if edit == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif edit == "splice":
        at = draw(st.integers(0, len(text)))
        text = (
            text[:at] + draw(st.text(st.sampled_from(list("{}[]&*!|>'\"#%@`,?:-\t\n \ufeff")), max_size=6)) + text[at:]
        )
    return text


VAR_FILES = ["vars.env", "vars.yaml", "bad.env", "huge.yaml", "pipe.env", "/dev/zero", "loop.env", "missing.env", "."]
arguments = st.lists(
    st.one_of(
        st.tuples(st.just("--var"), st.sampled_from(["ENV=prod", "ENVV=prod", "=x", "novalue", "A=" + "9" * 5000])),
        st.tuples(st.just("--var-file"), st.sampled_from(VAR_FILES)),
        st.tuples(st.just("--format"), st.sampled_from(["text", "json", "github", "yaml", ""])),
        st.tuples(st.sampled_from(["--no-color", "--help", "--bogus", "-v", "--", "-"])),
        st.tuples(st.sampled_from(["m.yaml", "hostile", "m", "/dev/zero", "pipe.yaml", "loop.yaml", "nowhere.yaml"])),
    ),
    max_size=4,
).map(lambda groups: [argument for group in groups for argument in group])


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder of hostile files, made once; the manifest under test is written into its `m/` per example."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "outside.png").write_bytes(b"outside the manifest's tree")
    manifests = root / "m"
    (manifests / "icons").mkdir(parents=True)
    (manifests / "icons" / "ok.png").write_bytes(b"\x89PNG icon")
    os.mkfifo(manifests / "pipe.png")
    (manifests / "zero.png").symlink_to("/dev/zero")
    (manifests / "loop.png").symlink_to("loop.png")
    (manifests / "dangling.png").symlink_to("nowhere.png")
    (manifests / "escape.png").symlink_to(root / "outside.png")
    with (manifests / "big.png").open("wb") as handle:
        handle.truncate(MAX_INCLUDED_BYTES + 1)
    # A manifest directory of nothing but trouble, and the same things given as paths.
    (root / "hostile").mkdir()
    os.mkfifo(root / "hostile" / "pipe.yaml")
    (root / "hostile" / "loop.yaml").symlink_to("loop.yaml")
    (root / "hostile" / "dangling.yml").symlink_to("nowhere.yml")
    (root / "hostile" / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(root / "pipe.yaml")
    os.mkfifo(root / "pipe.env")
    (root / "loop.yaml").symlink_to("loop.yaml")
    (root / "loop.env").symlink_to("loop.env")
    (root / "vars.env").write_text('export ENV=prod\nTITLE="Shop # chat"  # comment\n', "utf-8")
    (root / "vars.yaml").write_text("ENV: prod\nREGION: eu\n", "utf-8")
    (root / "bad.env").write_text("ENV=prod\nnot a pair\n", "utf-8")
    (root / "huge.yaml").write_text("A: " + "9" * 5000 + "\n", "utf-8")
    cwd = Path.cwd()
    os.chdir(root)  # relative arguments (`m.yaml`, `pipe.env`) name the hostile files
    try:
        yield root
    finally:
        os.chdir(cwd)


def validate_answers(arguments: list[str]) -> None:
    """Run validate: a documented exit code, no internal error, within EXAMPLE_SECONDS and PEAK_BYTES."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"validate {arguments} took over {EXAMPLE_SECONDS} s (a blocking read?)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, EXAMPLE_SECONDS)
    # Traced only during the run: tracing hypothesis's own work too would slow every example fourfold.
    tracemalloc.start()
    try:
        result = run_cli(["validate", *arguments])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    event(f"exit code {result.exit_code}")
    assert result.exit_code in (0, 1, 2), result.output
    assert "internal error" not in result.output and "Traceback" not in result.output, result.output
    assert peak < PEAK_BYTES, f"validate {arguments} peaked at {peak} bytes"


@settings(FUZZ, max_examples=3500)
@given(text=manifest_texts(), extra=arguments)
def test_validate_of_hostile_manifest_text_answers_without_a_traceback(
    hostile: Path, text: str, extra: list[str]
) -> None:
    (hostile / "m" / "m.yaml").write_text(text, "utf-8")
    validate_answers(["m/m.yaml", *extra])


@settings(FUZZ, max_examples=1500)
@given(extra=arguments, first=st.sampled_from(["m", "hostile", "/dev/zero", "pipe.yaml", "loop.yaml", "m/m.yaml"]))
def test_validate_of_hostile_paths_and_arguments_answers_without_a_traceback(
    hostile: Path, first: str, extra: list[str]
) -> None:
    slots = dict(
        zip(
            SLOTS, ["order-bot", "order-b\u043et", "bot-app", "web", "Web", '"${file:icons/ok.png}"', "30"], strict=True
        )
    )
    (hostile / "m" / "m.yaml").write_text(TEMPLATE.format(**slots), "utf-8")
    validate_answers([first, *extra])
