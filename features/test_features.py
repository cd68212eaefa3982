"""Binds every .feature file in this folder: a new feature runs with no Python written."""

from pytest_bdd import scenarios

scenarios(".")
