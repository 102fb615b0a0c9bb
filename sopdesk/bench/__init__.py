"""`manage.py bench`: sopdesk's performance figures, each beside a baseline measured in the same run.

`processes` makes the throwaway database and starts/stops what a figure
needs (sandbox, gunicorn, the worker); `figures` measures; `core` is the
in-memory engine loop replay is compared with; `wsgi` adds the one-INSERT
baseline view to the application gunicorn serves.
"""
