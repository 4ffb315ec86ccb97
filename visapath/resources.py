"""Where visapath's shipped data lives, in a checkout and in an installed wheel.

The design keeps the guidance corpus, prompts and lexicon as top-level folders of the
repository (`knowledge/`, `prompts/`), so a developer edits them in place. A built wheel
carries copies under `visapath/_data/` (see `setup.py`). Everything that needs one of these
folders asks this module, so the same code runs from a checkout, an editable install and a
`pip install`ed wheel, from any working directory.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_ROOT = PACKAGE_DIR.parent
APP_NAME = "visapath"

# Top-level folder -> name under visapath/_data/ in a wheel. setup.py copies exactly these.
SHIPPED = {
    "knowledge": "knowledge",
    "prompts": "prompts",
    "tests/data/retrieval_questions.yaml": "eval/retrieval_questions.yaml",
}


@lru_cache(maxsize=1)
def in_checkout() -> bool:
    """True when running from the source tree (editable install or PYTHONPATH)."""
    return (CHECKOUT_ROOT / "pyproject.toml").is_file() and (CHECKOUT_ROOT / "knowledge").is_dir()


def resource_path(name: str) -> Path:
    """The on-disk path of a shipped folder or file, named as in the checkout ('knowledge')."""
    if in_checkout():
        return CHECKOUT_ROOT / name
    packaged = resources.files(APP_NAME) / "_data" / SHIPPED[name]
    # A wheel installs as plain files, so the Traversable is a real path.
    return Path(os.fspath(packaged))


def default_data_dir() -> Path:
    """`./data` of the checkout when run from one, else the platform's user data directory.

    (`VISAPATH_DATA_DIR` overrides both; that is handled by the settings.)
    """
    if in_checkout():
        return CHECKOUT_ROOT / "data"
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def default_cache_dir() -> Path:
    """Derived files that can be rebuilt (the exported ONNX encoder): the user cache directory.

    Shared by every data directory of the user, so a model is exported once per machine.
    """
    from platformdirs import user_cache_path

    return user_cache_path(APP_NAME, appauthor=False)
