"""Issue 18: numbers in the page's language (Dutch 80,0% and 2,50; English 80.0% and 2.50)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from flask_babel import force_locale

from pb.views.presenters import score_text, turnout_percent


@pytest.mark.parametrize(("locale", "turnout", "score"), [("nl", "80,0", "2,50"), ("en", "80.0", "2.50")])
def test_rates_and_scores_follow_the_page_language(app, locale, turnout, score):
    with app.test_request_context(), force_locale(locale):
        assert turnout_percent(8, 10) == turnout
        assert score_text(Fraction(5, 2)) == score
        assert score_text(7) == "7"
