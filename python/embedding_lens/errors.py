"""Errors the user caused with their input: one line naming the file and the problem."""
from __future__ import annotations


class InputError(Exception):
    """A problem with a file, a setting or the environment that the user can fix; exits with code 2."""

    def __init__(self, file: str, problem: str) -> None:
        super().__init__(f"{file}: {problem}")
        self.file = file
        self.problem = problem

    def line(self) -> str:
        return " ".join(str(self).split())


class CancelledError(Exception):
    """The run was asked to stop (cancel file, SIGINT, SIGTERM)."""
