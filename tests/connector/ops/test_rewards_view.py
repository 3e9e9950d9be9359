"""What a member is offered: a short list of amounts that covers the whole balance (not 500-900 then a jump),
and their codes ordered by when they expire, soonest first."""

from __future__ import annotations

from connector.ops.rewards import view
from connector.programme import ProgrammeSettings


def test_the_amounts_offered_are_few_and_cover_the_balance_evenly() -> None:
    programme = ProgrammeSettings.from_dict({"redemption": {"minimum_points": 500, "step_points": 100}})
    offered = [o.points for o in view._options(programme, 1_980, "USD", "en")]
    assert offered == [500, 800, 1_100, 1_300, 1_600, 1_900]
    assert [o.points for o in view._options(programme, 700, "USD", "en")] == [500, 600, 700]
    assert view._options(programme, 499, "USD", "en") == []
    many = [o.points for o in view._options(programme, 100_000, "USD", "en")]
    assert len(many) == view.OPTIONS and many[0] == 500 and many[-1] == 100_000
    assert all(p % 100 == 0 for p in many) and many == sorted(many)
