"""Errors the harness reports to a person: one line that names the problem and the fix."""


class HarnessError(Exception):
    """A problem with the user's input or machine, reported without a traceback."""


class ConfigError(HarnessError):
    """scenarios.yaml is wrong: names the key path, what was expected and what was found."""

    def __init__(self, key_path: str, expected: str, found: object = None, source: str = "scenarios.yaml"):
        self.key_path = key_path
        self.expected = expected
        self.found = found
        self.source = source
        found_txt = "" if found is None else f", found {found!r}"
        super().__init__(f"{source}: {key_path}: expected {expected}{found_txt}")
