"""The README's configuration table is the settings object's own description."""

import re

from chalicelib.settings import config_table, describe
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
ROW = re.compile(r"^\| `(PICSET_[A-Z_]+)` \| (?:`([^`]*)`|\(empty\)) \| (.+) \|$", re.M)


def test_readme_has_the_generated_table():
    assert config_table() in README, "paste chalicelib.settings.config_table() into README.md"


def test_every_setting_appears_once_with_its_default_and_description():
    rows = [(env, default or "", doc) for env, default, doc in ROW.findall(README)]
    assert rows == describe()
