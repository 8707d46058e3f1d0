"""A module of the example project, imported by its tests."""


def add(a, b):
    return a + b
