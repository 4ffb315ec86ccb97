"""Build hook: copy the top-level data folders into the wheel as `visapath/_data/`.

The repository keeps `knowledge/` and `prompts/` at the top level (they are edited as content,
not code); an installed visapath needs them beside its modules. Everything else is declared in
pyproject.toml. Editable installs skip the copy: they read the checkout directly.
"""

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from visapath.resources import SHIPPED  # noqa: E402  (stdlib-only module: safe at build time)


class build_py_with_data(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "visapath" / "_data"
        for source, name in SHIPPED.items():
            src, dst = ROOT / source, target / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
            else:
                shutil.copy2(src, dst)


setup(cmdclass={"build_py": build_py_with_data})
