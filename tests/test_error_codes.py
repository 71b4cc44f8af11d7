import pytest

from chalicelib import errors
from tests.conftest import ROOT


def test_readme_lists_every_error_code():
    readme = (ROOT / "README.md").read_text()
    assert errors.error_table() in readme, "regenerate with chalicelib.errors.error_table()"


@pytest.mark.parametrize("code", sorted(errors.ERROR_CODES))
def test_every_code_has_a_message_a_person_can_act_on(code):
    message = errors.ERROR_CODES[code]
    assert message.endswith(".") and len(message) > 15
    assert code.replace("_", "").isalpha() and code.islower()
