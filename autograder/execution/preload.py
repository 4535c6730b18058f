"""Imported once by the server process that forks the grading processes (see grade.py): the heavy imports."""
from .worker import preload

preload()
