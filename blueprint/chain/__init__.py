"""Exact expectations: the blueprint as the chain of states a case goes through (``blueprint stats``).

The chain follows a case the way the simulation moves it (SPEC §2, "one semantics"), without
queues, working hours or patience, and solves for expectations with sparse matrices, never a dense
inverse: a direct sparse LU where the chain's loops are small, a preconditioned Krylov solver where
one large loop would fill a factorisation in, every figure within :data:`~blueprint.tolerance.TOLERANCE`
of the exact answer (:mod:`blueprint.chain.solve`):

* **one branch** moves from step to step along its step's ways (:mod:`blueprint.ways`): one flow
  chosen by ``p``; the ``timeout`` with the chance the step lasts longer than ``after``; a step its
  team cannot do left only by its timeout (or never); :mod:`blueprint.chain.steps`;
* **parallel work**: from a ``split: all`` until the branches are one again, the chain follows
  every branch and what waits at each ``join: all`` (:mod:`blueprint.chain.branches`): an outcome
  ends the case and stops the other branches, a join goes on once every incoming flow has
  delivered. Where the answer depends on which branch is faster, the figure is unknown (``None``,
  JSON ``null``) with the reason, and ``check`` has the matching finding (``racing-outcomes``);
* **counts** as the simulation counts them: a contact at each visit of a customer step with a
  ``channel``; a handoff at each arrival at an owned step from another team (customer and unowned
  steps in between keep the memory; each branch into a join hands over on its own); a story repeat
  as :mod:`blueprint.story` defines it (:mod:`blueprint.chain.repeats`);
* **capacity**: each team's load and utilization from the arrival rate (:mod:`blueprint.chain.capacity`).

A case that reaches a loop it can never leave goes round it for ever: the visits there are
infinite (unknown, with the reason), and the simulation stops such a case at the loop's door.
"""
from ..ways import time_in_step as time_spent
from ..ways import timeout_chance
from .rounds import loop_rounds
from .stats import Stats, stats, workload

__all__ = ["Stats", "stats", "workload", "timeout_chance", "time_spent", "loop_rounds"]
