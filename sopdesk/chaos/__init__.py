"""`manage.py chaos`: what an operator fears, done to a real stack, counted.

`stack` starts a throwaway database, the sandbox emulators, gunicorn and the
supervised task cluster on free loopback ports; `traffic` makes tickets and
signed webhook bodies (and hostile ones); `scenarios` runs duplicates, faults,
SIGKILLs and hostile bodies and counts what came out in the emulators and the
database; `report` prints the table and the closing line

    chaos: lost N, duplicated N, 5xx N, half-stored N, recovery S s
"""
