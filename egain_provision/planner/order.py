"""Step 5 of planning: the order apply reads a plan in (creates and updates forward, deletes in reverse)."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from graphlib import CycleError, TopologicalSorter

from egain_provision.errors import PlanError
from egain_provision.kinds import SETUP_ORDER
from egain_provision.model import Diagnostic
from egain_provision.plan import Action


def order_actions(actions: Sequence[Action]) -> list[Action]:
    """Creates and updates in dependency order, then deletes in reverse; ties by setup order and name."""
    forward = [action for action in actions if action.action != "delete"]
    deletes = [action for action in actions if action.action == "delete"]
    return _topological(forward, reverse=False) + _topological(deletes, reverse=True)


def _topological(actions: list[Action], *, reverse: bool) -> list[Action]:
    by_address = {action.address: action for action in actions}
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for action in actions:
        sorter.add(action.address, *(dep for dep in action.depends_on if dep in by_address))

    def priority(address: str) -> tuple[int, str]:
        index = SETUP_ORDER.index(by_address[address].kind)
        return (-index if reverse else index, address)

    try:
        sorter.prepare()
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        first = by_address[exc.args[1][0]]
        problem = Diagnostic("error", first.location, "", f"the references form a cycle: {cycle}")
        raise PlanError(problem.message, diagnostics=[problem]) from None
    ready = [(priority(address), address) for address in sorter.get_ready()]
    heapq.heapify(ready)
    ordered: list[Action] = []
    while ready:
        _, address = heapq.heappop(ready)
        ordered.append(by_address[address])
        sorter.done(address)
        for address_ready in sorter.get_ready():
            heapq.heappush(ready, (priority(address_ready), address_ready))
    return ordered
