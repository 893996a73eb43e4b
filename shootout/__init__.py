"""pyshootout orchestrator: runs on CPython >= 3.10, never imports a workload's variant."""
