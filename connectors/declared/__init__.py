"""Declared tools: a team's own systems joined to the operation registry without Python.

An ops manager declares, in the admin or through the API:

* HTTP operations on a named endpoint (by hand or imported from an OpenAPI 3
  document): method, path/query/body templates, typed inputs (JSON Schema),
  output facts extracted from the response (JSON pointer or `$.a.b` path);
* MCP tools of a connected MCP server (stdio command or streamable HTTP URL);
* custom Zendesk ticket fields and Salesforce object fields as named facts;
* mocks: scripted responses per input, used instead of the real system in
  dry runs, "try on a sample case", replay and tests.

`catalog.declared_operations()` turns them into `registry.Operation`s that
`registry.operations()` returns beside the built-in ones.

Modules: models (rows), secrets (encryption at rest), catalog (rows →
operations, cached per process), extract (output facts), http (executor),
mcp (client), mocks, openapi (import), fields (custom fields), services
(writes), api, admin, health.
"""
