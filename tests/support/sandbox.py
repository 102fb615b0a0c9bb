"""pytest plugin: the sandbox emulators on free ports (filled in with the connectors)."""
