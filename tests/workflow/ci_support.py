"""What the tests of the example CI files share, whichever forge runs them: the sandbox that plays the
tenant, the CI secret store holding it, the manifests a job checks out, and the secret checks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from egain_provision.sandbox.auth import DEFAULT_SCOPE
from egain_provision.sandbox.testing import ServedSandbox
from tests.support import FULL_SETUP, SECRET_ENV, SECRETS

REPO = Path(__file__).resolve().parents[2]
# How both forges run a bash script: GitHub's `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`;
# GitLab's runner starts the script it generates with `set -eo pipefail`, the same two options.
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
# The commits of the tests' one pull (merge) request: planned at HEAD_SHA, merged as MERGE_SHA. Eight
# distinct leading characters, as GitLab shows them; GitHub shows the first seven.
HEAD_SHA = "abc12345" + "0" * 32
MERGE_SHA = "def56789" + "0" * 32
CONNECTION_SECRETS = ("EGAIN_API_URL", "EGAIN_TOKEN_URL", "EGAIN_CLIENT_ID", "EGAIN_CLIENT_SECRET", "EGAIN_SCOPE")
# The served sandbox's client secret: distinctive enough to grep every output for.
CLIENT_SECRET = "cl1ent-s3cret-Wv93"
# The CI secret that signs saved plans: never printed either.
PLAN_KEY = "pl4n-k3y-" + "5f0c" * 8


def tool_path() -> list[str]:
    """A fresh job's PATH: the test's Python (and its tools) first, as setup-python or an image puts it."""
    return [str(Path(sys.executable).parent), os.environ.get("PATH", "")]


def tenant_secrets(sandbox: ServedSandbox) -> dict[str, str]:
    """The CI secret store's entries for a served sandbox as the tenant, and the manifests' secrets."""
    return {
        "EGAIN_API_URL": sandbox.base_url,
        "EGAIN_TOKEN_URL": sandbox.token_url,
        "EGAIN_CLIENT_ID": sandbox.client_id,
        "EGAIN_CLIENT_SECRET": sandbox.client_secret,
        "EGAIN_SCOPE": DEFAULT_SCOPE,
        "EGAIN_PLAN_KEY": PLAN_KEY,
        **SECRET_ENV,
    }


def write_manifests(directory: Path, text: str = FULL_SETUP) -> Path:
    """A folder holding one manifest, standing in for the manifests a job checks out."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "setup.yaml").write_text(text, encoding="utf-8")
    return directory


def assert_no_secret_values(*texts: str, extra: tuple[str, ...] = ()) -> None:
    """None of the tests' secret values (nor `extra`) appears in any of `texts`."""
    for text in texts:
        for secret in (*SECRETS, CLIENT_SECRET, PLAN_KEY, *extra):
            assert secret not in text, f"secret value leaked: {secret!r}"


def files_text(*roots: Path) -> list[str]:
    """The text of every file under `roots`: plans, journals, notes a job left behind."""
    return [path.read_text("utf-8", errors="replace") for root in roots for path in root.rglob("*") if path.is_file()]
