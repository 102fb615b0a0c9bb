"""Salesforce and Zendesk clients are made once per process, thread and account, and kept (keep-alive)."""

from __future__ import annotations

import os
import threading

import pytest

from connectors.registry import get
from connectors.salesforce import client as salesforce
from connectors.zendesk import client as zendesk

CLIENTS = {"salesforce": salesforce, "zendesk": zendesk}
READS = {
    "salesforce": ("salesforce.query_account", {"email": "alice@acme.example"}),
    "zendesk": ("zendesk.get_ticket", {"ticket_id": "1"}),
}


@pytest.mark.parametrize("system", CLIENTS)
def test_calls_share_one_client_and_its_session(sandbox, system):
    module = CLIENTS[system]
    first = module.connect()
    operation, params = READS[system]
    get(operation).load_handler()(params)
    get(operation).load_handler()(params)
    assert module.connect() is first


@pytest.mark.parametrize("system", CLIENTS)
def test_another_thread_gets_its_own_client(sandbox, system):
    module = CLIENTS[system]
    mine = module.connect()
    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(module.connect()))
    thread.start()
    thread.join()
    assert theirs and theirs[0] is not mine


@pytest.mark.parametrize("system", CLIENTS)
def test_a_forked_child_makes_its_own_client(sandbox, system):
    module = CLIENTS[system]
    parent = module.connect()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.write(write, b"new" if module.connect() is not parent else b"shared")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 10)
    os.waitpid(pid, 0)
    os.close(read)
    assert answer == b"new"


@pytest.mark.parametrize("system", CLIENTS)
def test_another_account_gets_another_client(sandbox, settings, system):
    module = CLIENTS[system]
    first = module.connect()
    settings.SANDBOX_URL = "http://127.0.0.1:1"
    assert module.connect() is not first
