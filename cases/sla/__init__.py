"""SLA clocks and escalation chains (Django app label `sla`).

Policies (compiled from an SOP by `compile.py` or edited in the admin) match
cases and set targets; `clocks.py` starts, stops, pauses and resumes one
clock per target; `sweep.py` (a django-q2 schedule, every minute) fires due
warnings, escalations and breach markers exactly once each, acting through
the connector registry (`actions.py`).

Hooks for the rest of `cases`:

* after an inbound event has been applied to a case (created, assignee set,
  first public reply, status changed, resolved), inside the same locked
  transaction: `cases.sla.clocks.sla_on_case_event(case=case, event_kind=...)`;
  it reads the case's own fields (assignee, first_response_at, resolved_at,
  status), so calling it once per event is enough and calling it twice is harmless;
* the case timeline: `entries += cases.sla.selectors.sla_timeline_entries(case=case)`
  (TimelineEntry rows with kind "sla");
* the inbox: `sla_countdowns(case_ids=...)`, and links to /sla/ and /sla/attainment/.
"""
