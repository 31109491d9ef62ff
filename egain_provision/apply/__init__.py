"""Apply: bind a plan, schedule its actions as a graph, run each with its runner, observe the outcomes."""

from egain_provision.apply.binding import ExecutablePlan, bind
from egain_provision.apply.executor import Executor, new_run_id
from egain_provision.apply.outcome import ApplyResult, Outcome

__all__ = ["ApplyResult", "ExecutablePlan", "Executor", "Outcome", "bind", "new_run_id"]
