"""Package list for setuptools (everything else is in pyproject.toml).

templates/ and static/ are not Python packages; they are shipped as ``pb.templates`` and
``pb.static`` (see ``package-dir`` in pyproject.toml).
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["pb", "pb.*"]), "pb.templates", "pb.static"])
