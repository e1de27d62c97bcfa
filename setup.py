"""Package discovery that pyproject.toml cannot express alone.

Every package under `generator/` is found automatically (a hand-written list once missed `generator.mtc.rules`
and shipped a CLI that could not import). `templates/` stays at the repository root, as the design lays it
out, and ships as the package `generator.templates`.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["generator", "generator.*"]), "generator.templates"],
    package_dir={"generator.templates": "templates"},
)
