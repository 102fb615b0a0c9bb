"""The loop from cases back to the SOP: mining, insights, amendments, regression cases.

- extract.py: a case → its attributes and what happened to it (MinedCase rows), incrementally
- counts.py: running per-day counts folded in as cases change (MinedCount); the window's sums; evidence ids
- associations.py: attribute → outcome rules: support, confidence, lift, Fisher's exact + Benjamini–Hochberg
- hotspots.py: steps that hold most, overrides grouped by situation
- proposals.py: hot spots and overrides as insights, with a sentence when one compiles into the intended step
- sla.py: SLA breach concentrations; model cost per procedure and per case
- mining.py: one mining pass: extract, analyse, store Insight rows
- amendments.py: an insight → a proposed SOP sentence, a text diff, a compiled draft version
- impact.py: simulated impact: recent matching cases dry-run through draft and published version
- regression.py: overrides and pinned cases as regression cases; the publish check
- services.py: accept, dismiss, draft, pin (writes); selectors.py (reads); api.py, views.py, tasks.py
- history.py: a generator of realistic history with planted patterns
"""
