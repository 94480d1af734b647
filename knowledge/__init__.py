"""The shipped knowledge base: YAML files installed as package data.

Kept as a package so `importlib.resources` finds the files wherever rolecall is
installed, not only in a source checkout.
"""
