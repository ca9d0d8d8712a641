"""Shim for tools that still run ``setup.py``; the metadata lives in pyproject.toml."""
import setuptools

setuptools.setup()
