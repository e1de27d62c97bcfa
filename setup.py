"""Package discovery that pyproject.toml cannot express alone.

Every package under `generator/` is found automatically (a hand-written list once missed `generator.mtc.rules`
and shipped a CLI that could not import). The Jinja2 templates stay in `templates/` at the repository root, as
the design lays it out; a wheel carries them as data inside the package, at `generator/templates/*.j2` (no
module: `generator.overlay.templates` finds them there or, in a checkout, beside the package).
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["generator", "generator.*"]), "generator.templates"],
    package_dir={"generator.templates": "templates"},
)
