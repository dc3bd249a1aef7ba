"""A step's owner has ``staff: 0``: the team exists on paper, but nobody is there to do the work.

Cases queue for it forever. This is the team "coming on later" that never comes on, or a
function that was cut but is still drawn in the process.

Failing example::

    teams:
      complaints: {name: Complaints, staff: 0}
    steps:
      review: {name: Reviews the complaint, lane: backstage, owner: complaints}
      done:   {name: Answered, outcome: success}
    flows: [[review, done]]
    start: review

Passing example::

    teams:
      complaints: {name: Complaints, staff: 2}
    steps:
      review: {name: Reviews the complaint, lane: backstage, owner: complaints}
      done:   {name: Answered, outcome: success}
    flows: [[review, done]]
    start: review
"""
from ..findings import Issue

ID = "unstaffed"
SEVERITY = "error"


def check(facts):
    model = facts.model
    for sid, step in model.steps.items():
        team = model.teams.get(step.owner) if step.owner else None
        if team is not None and team.staff == 0 and not step.is_outcome:
            yield Issue(f"{model.label(sid)} is owned by {model.team_name(step.owner)}, which has no staff "
                        "(staff: 0): cases wait there forever. Staff the team or give the step to one "
                        "that is staffed.", steps=(sid,))
