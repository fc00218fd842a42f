"""A mandate reference with a space is refused where it is entered: the banks refuse such a MndtId,
so a mandate with it could never be collected."""

import pytest

from supportclub.errors import ValidationError
from supportclub.members.validation import check_mandate_reference


def test_a_space_is_named_and_refused():
    with pytest.raises(ValidationError, match="Leerzeichen") as error:
        check_mandate_reference("M 1042")
    assert error.value.field == "mandate_reference"


def test_the_sepa_characters_are_accepted():
    assert check_mandate_reference(" M-1042/2026(a)+b ") == "M-1042/2026(a)+b"
