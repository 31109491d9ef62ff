"""A tenant that lists new objects 3 s late, losing answers to creates: no duplicate, and it converges.

`--read-after-write 4` outlasts the lag, so a create whose answer was lost (stored, then its
answer dropped) is found by its lookup, and every write is verified by a listing that shows it:
the plan right after the apply has nothing to do, with no wait. (A create refused with a 5xx
before it was stored is unknown and never resent: test_read_after_write.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realtenant.realtenant_support import BASE_PATH, DECLARED, SMALL, cli, live_names, manifest, variant_sandbox

LAG = 3.0
MORE = """\
  - name: agents-two
    applications:
      agentConfiguration:
        agents: [spare-desk]
"""


@pytest.mark.parametrize("seed", [7, 8])
def test_lost_creates_on_a_lagging_tenant_leave_no_duplicate(tmp_path: Path, seed: int) -> None:
    path = manifest(tmp_path, SMALL + MORE)
    with variant_sandbox(tmp_path, list_lag=LAG) as sandbox:
        sandbox.set_faults(lost_answer_rate=0.6, seed=seed)
        applied = cli(sandbox, "apply", path, "--read-after-write", "4")
        lost = [entry for entry in sandbox.requests() if entry["fault"] == "lost_answer"]
        assert applied.exit_code == 0, applied.output
        assert lost, "no answer was lost: the test did not test anything"
        # Each create sent once: a lost one was found, not sent again.
        posts = [
            entry for entry in sandbox.requests() if entry["method"] == "POST" and entry["path"].startswith(BASE_PATH)
        ]
        assert len(posts) == 5, posts
        sandbox.clear_faults()
        assert live_names(sandbox) == {**DECLARED, "orchestrations": ["agents-only", "agents-two"]}
        replanned = cli(sandbox, "plan", path, "--detailed-exitcode")
        assert replanned.exit_code == 0, replanned.output
