#!/usr/bin/env python3
"""Tell whether every requirement of the given requirements files is installed.

Exit 0 when all are satisfied, 1 otherwise (listing what is missing or too old).
Used by setup/install.sh to skip ``pip install`` when nothing is missing, so that
``make test`` stays fast and works offline once installed.
"""

import sys
from importlib import metadata

try:
    from packaging.requirements import Requirement
except ImportError:  # packaging is not always installed, pip always vendors it
    from pip._vendor.packaging.requirements import Requirement


def requirements(path):
    """Yield the Requirement objects of a requirements file (no options, no includes)."""
    with open(path, encoding="utf-8") as handle:
        for raw in handle:
            line = raw.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                yield Requirement(line)


def unmet(requirement):
    """Return why ``requirement`` is not met, or None when it is."""
    if requirement.marker and not requirement.marker.evaluate():
        return None
    try:
        version = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        return f"{requirement.name}: not installed"
    if requirement.specifier and not requirement.specifier.contains(version, prereleases=True):
        return f"{requirement.name}: {version} installed, {requirement.specifier} required"
    return None


def main(paths):
    """Check every file of ``paths``; print the unmet requirements."""
    problems = [p for path in paths for p in map(unmet, requirements(path)) if p]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
