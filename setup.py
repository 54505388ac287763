"""Maps the one import namespace onto the fixed top-level folders.

apiswitch            -> apiswitch/   (public re-exports and the CLI entry point)
apiswitch.codegen    -> codegen/
apiswitch.generated  -> generated/
apiswitch.runtime    -> runtime/
"""

from pathlib import Path

from setuptools import setup

ROOTS = {"apiswitch": "apiswitch", "apiswitch.codegen": "codegen",
         "apiswitch.generated": "generated", "apiswitch.runtime": "runtime"}


def _packages() -> tuple[list[str], dict[str, str]]:
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    for name, folder in ROOTS.items():
        base = Path(folder)
        for init in sorted(base.rglob("__init__.py")):
            rel = init.parent.relative_to(base)
            dotted = ".".join((name, *rel.parts)) if rel.parts else name
            packages.append(dotted)
            package_dir[dotted] = init.parent.as_posix()
    return packages, package_dir


packages, package_dir = _packages()
setup(packages=packages, package_dir=package_dir)
