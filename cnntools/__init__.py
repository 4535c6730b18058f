"""Helpers that the course notebooks and the book import; none of it is an assignment's answer.

Submodules are imported explicitly (``from cnntools import checks``) so that a notebook only pays for what it uses.
"""
