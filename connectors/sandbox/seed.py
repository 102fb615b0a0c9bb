"""The demo's seed data, shared by the emulators and documented for tests.

Salesforce accounts (by requester email domain) and their open opportunity:

    acme.example     Acme Corp       Enterprise  risk 35  owner Erin Enterprise-AM
    globex.example   Globex          Pro         risk 95  owner Paul Pro-AM
    initech.example  Initech         Free        risk 10
    umbrella.example Umbrella East / Umbrella West  (two accounts: ambiguous)

Zendesk: requesters alice@acme.example, bob@globex.example,
carol@initech.example, dan@umbrella.example, pat@nowhere.example (no
organization anywhere); tickets 1-4 tagged product-bug (one per requester
above, ticket 4 from pat), ticket 5 in the group Claims. Groups Support,
Tier 2, Claims; agents lead@sopdesk.example, agent@sopdesk.example.

Jira: projects ENG and OPS (issue types Bug, Task, Story), no issues.

Carrier (portal for UPS, FedEx and DHL): shipments
    1Z0000000000001200  UPS    shipped 2026-11-02  declared 1200.00  delivered
    1Z0000000000008400  UPS    shipped 2026-11-03  declared 8400.00  delivered
    781000000001        FedEx  shipped 2026-11-05  declared 950.00   delivered
    JD0000000000000001  DHL    shipped 2026-11-06  declared 3000.00  in_transit
"""

from __future__ import annotations

SF_USERS = [
    {"Id": "005000000000000AAA", "Name": "Erin Enterprise-AM", "Email": "erin.am@sopdesk.example"},
    {"Id": "005000000000001AAA", "Name": "Paul Pro-AM", "Email": "paul.am@sopdesk.example"},
    {"Id": "005000000000002AAA", "Name": "Sam Self-Serve", "Email": "self-serve@sopdesk.example"},
]

SF_ACCOUNTS = [
    ("Acme Corp", "acme.example", "Enterprise", "005000000000000AAA", 35, 250000),
    ("Globex", "globex.example", "Pro", "005000000000001AAA", 95, 40000),
    ("Initech", "initech.example", "Free", "005000000000002AAA", 10, 0),
    ("Umbrella East", "umbrella.example", "Pro", "005000000000001AAA", 20, 12000),
    ("Umbrella West", "umbrella.example", "Enterprise", "005000000000000AAA", 40, 90000),
]

ZD_ORGANIZATIONS = [
    {"id": 200, "name": "Acme Corp", "domain_names": ["acme.example"]},
    {"id": 201, "name": "Globex", "domain_names": ["globex.example"]},
    {"id": 202, "name": "Initech", "domain_names": ["initech.example"]},
    {"id": 203, "name": "Umbrella", "domain_names": ["umbrella.example"]},
]

ZD_GROUPS = [{"id": 300, "name": "Support"}, {"id": 301, "name": "Tier 2"}, {"id": 302, "name": "Claims"}]

ZD_USERS = [
    {"id": 100, "name": "Alice Adams", "email": "alice@acme.example", "organization_id": 200, "role": "end-user"},
    {"id": 101, "name": "Bob Brown", "email": "bob@globex.example", "organization_id": 201, "role": "end-user"},
    {"id": 102, "name": "Carol Chen", "email": "carol@initech.example", "organization_id": 202, "role": "end-user"},
    {"id": 103, "name": "Dan Diaz", "email": "dan@umbrella.example", "organization_id": 203, "role": "end-user"},
    {"id": 104, "name": "Pat Doe", "email": "pat@nowhere.example", "organization_id": None, "role": "end-user"},
    {"id": 110, "name": "Lee Lead", "email": "lead@sopdesk.example", "organization_id": None, "role": "agent"},
    {"id": 111, "name": "Ana Agent", "email": "agent@sopdesk.example", "organization_id": None, "role": "agent"},
    {"id": 120, "name": "sopdesk", "email": "sopdesk@sandbox.local", "organization_id": None, "role": "admin"},
]

ZD_TICKETS = [
    (1, 100, "Export to CSV crashes", "Exporting the Q3 report crashes the app.", ["product-bug"], 300),
    (2, 101, "Dashboard shows wrong totals", "Totals on the dashboard are off by one.", ["product-bug"], 300),
    (3, 102, "Dark mode flickers", "The screen flickers in dark mode.", ["product-bug"], 300),
    (4, 104, "Login loop", "I keep getting sent back to the login page.", ["product-bug"], 300),
    (5, 100, "Damaged pallet", "Pallet arrived crushed. Tracking 1Z0000000000001200.", ["claim"], 302),
]

JIRA_PROJECTS = [
    {"id": "10000", "key": "ENG", "name": "Engineering"},
    {"id": "10001", "key": "OPS", "name": "Operations"},
]
JIRA_ISSUE_TYPES = [
    {"id": "10100", "name": "Bug"},
    {"id": "10101", "name": "Task"},
    {"id": "10102", "name": "Story"},
]
JIRA_PRIORITIES = ["Highest", "High", "Medium", "Low", "Lowest"]
JIRA_LINK_TYPES = [
    {"id": "10200", "name": "Relates", "inward": "relates to", "outward": "relates to"},
    {"id": "10201", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
    {"id": "10202", "name": "Duplicate", "inward": "is duplicated by", "outward": "duplicates"},
]
JIRA_STATUSES = [("To Do", "new", "11"), ("In Progress", "indeterminate", "21"), ("Done", "done", "31")]

CARRIER_SHIPMENTS = [
    ("1Z0000000000001200", "UPS", "2026-11-02", "1200.00", "delivered", "2026-11-06T14:10:00Z"),
    ("1Z0000000000008400", "UPS", "2026-11-03", "8400.00", "delivered", "2026-11-07T09:30:00Z"),
    ("781000000001", "FedEx", "2026-11-05", "950.00", "delivered", "2026-11-08T16:45:00Z"),
    ("JD0000000000000001", "DHL", "2026-11-06", "3000.00", "in_transit", None),
]
