"""Fault injection in front of a real server: see :mod:`tests.faults.proxy`."""
