"""The weekly report: figures per procedure (figures.py), a chart (chart.py), the mail (mail.py), pages (views.py).

Charts are drawn with matplotlib (Agg backend, no display) as a PNG: mail
clients show an inline PNG referenced by `cid:`, while SVG in mail is blocked
by Gmail and Outlook. The same PNG is served on the report page.
"""
