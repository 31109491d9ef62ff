"""Running actions as a dependency graph, knowing nothing of HTTP.

Each action starts as soon as the actions it depends on have succeeded, the ones with the
longest chain of dependents first, as long as the run's limit has room (an action holds one
unit of it while it works). A failed action's dependents are skipped and say why;
independent branches go on.
"""

from __future__ import annotations

import asyncio
import heapq
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence

from egain_provision.apply.outcome import Outcome
from egain_provision.limits import AdaptiveLimit
from egain_provision.plan import Action

Perform = Callable[[Action], Awaitable[Outcome]]


class Scheduler:
    """Runs graphs of actions with `perform`; every outcome goes to `finish`, and stays in `outcomes`."""

    def __init__(self, limit: AdaptiveLimit, perform: Perform, finish: Callable[[Outcome], None]) -> None:
        self.limit = limit
        self.perform = perform
        self.finish = finish
        self.outcomes: dict[str, Outcome] = {}
        self.interrupted = False
        self._graph: _Graph | None = None

    async def run(self, actions: Sequence[Action]) -> None:
        """Run one graph to the end (every action done, failed, skipped or unknown)."""
        if actions:
            self._graph = _Graph(self, actions)
            try:
                await self._graph.run()
            finally:
                self._graph = None

    def interrupt(self) -> None:
        """Start nothing more; what is in flight finishes (a second call abandons it)."""
        if self.interrupted and self._graph is not None:
            for task in list(self._graph.tasks):
                task.cancel()
        self.interrupted = True
        if self._graph is not None:
            asyncio.get_running_loop().create_task(self._graph.wake())

    def record(self, outcome: Outcome) -> None:
        self.outcomes[outcome.action.address] = outcome
        self.finish(outcome)

    def failed(self, address: str) -> bool:
        outcome = self.outcomes.get(address)
        return outcome is not None and outcome.status != "done"

    def skip(self, action: Action, because: str) -> Outcome:
        reason = self.outcomes[because]
        verb = {"skipped": "was skipped", "unknown": "has an unknown outcome"}.get(reason.status, "failed")
        return Outcome(action, "skipped", id=action.id, message=f"skipped: {because} {verb}", attempts=0)


class _Graph:
    """One graph's bookkeeping: what each action waits for, who waits for it, what is ready."""

    def __init__(self, scheduler: Scheduler, actions: Sequence[Action]) -> None:
        self.scheduler = scheduler
        self.by_address = {action.address: action for action in actions}
        self.waiting_on: dict[str, set[str]] = {}
        self.dependents: dict[str, list[str]] = defaultdict(list)
        for action in actions:
            self.waiting_on[action.address] = {dep for dep in action.depends_on if dep in self.by_address}
            for dep in self.waiting_on[action.address]:
                self.dependents[dep].append(action.address)
        self.height = _heights(actions, self.dependents)
        self.order = {action.address: index for index, action in enumerate(actions)}
        self.ready: list[tuple[int, int, str]] = []
        self.active = 0
        self.changed = asyncio.Condition()
        self.tasks: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks

    def push(self, address: str) -> None:
        heapq.heappush(self.ready, (-self.height[address], self.order[address], address))

    def settle(self, address: str) -> None:
        """After `address` ended: skip its dependents if it failed, else release those it was last to wait for."""
        outcomes = self.scheduler.outcomes
        for child in self.dependents.get(address, []):
            if child in outcomes:
                continue
            if outcomes[address].status != "done":
                self.scheduler.record(self.scheduler.skip(self.by_address[child], address))
                self.settle(child)
                continue
            self.waiting_on[child].discard(address)
            if not self.waiting_on[child]:
                self.push(child)

    def seed(self) -> None:
        for action in self.by_address.values():
            if action.address in self.scheduler.outcomes:
                continue  # already skipped, by a dependency settled earlier in this loop
            # A delete whose referrer's update failed earlier in this run must not go ahead.
            failed_before = [
                dep for dep in action.depends_on if dep not in self.by_address and self.scheduler.failed(dep)
            ]
            if failed_before:
                self.scheduler.record(self.scheduler.skip(action, failed_before[0]))
                self.settle(action.address)
            elif not self.waiting_on[action.address]:
                self.push(action.address)

    async def wake(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def run(self) -> None:
        self.seed()
        while not self.scheduler.interrupted:
            async with self.changed:
                await self.changed.wait_for(lambda: bool(self.ready) or self.active == 0 or self.scheduler.interrupted)
                if not self.ready or self.scheduler.interrupted:
                    break
            # Only this loop takes from `ready`: once room is free, the best action is still there.
            await self.scheduler.limit.acquire()
            if self.scheduler.interrupted:
                self.scheduler.limit.release()
                break
            async with self.changed:
                _, _, address = heapq.heappop(self.ready)
                self.active += 1
            task = asyncio.ensure_future(self.work(address))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        async with self.changed:
            await self.changed.wait_for(lambda: self.active == 0)
        self.not_started()

    def not_started(self) -> None:
        """After an interruption: every action that never started says so."""
        for address, action in self.by_address.items():
            if address not in self.scheduler.outcomes:
                message = "not started: the run was interrupted"
                self.scheduler.record(Outcome(action, "skipped", id=action.id, message=message, attempts=0))

    async def work(self, address: str) -> None:
        self.scheduler.limit.hold()
        action = self.by_address[address]
        try:
            outcome = await self.scheduler.perform(action)
        except asyncio.CancelledError:
            # Abandoned in flight (a second interrupt): it may or may not have happened.
            message = "abandoned in flight: the run was interrupted; the next plan shows whether it happened"
            outcome = Outcome(action, "unknown", id=action.id, message=message)
        finally:
            self.scheduler.limit.release()
        async with self.changed:
            try:
                self.scheduler.record(outcome)
                self.settle(address)
            finally:
                # Whatever happens, the dispatcher must learn this action is over.
                self.active -= 1
                self.changed.notify_all()


def _heights(actions: Sequence[Action], dependents: Mapping[str, list[str]]) -> dict[str, int]:
    """Length of the longest chain of dependents after each action (schedule long chains first)."""
    height: dict[str, int] = {}
    for action in reversed(actions):  # plan order is topological, so children come later
        children = dependents.get(action.address, [])
        height[action.address] = 1 + max((height.get(child, 1) for child in children), default=0)
    return height
