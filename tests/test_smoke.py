def test_the_cast_builds(cast):
    assert cast.patient_a.organization == cast.org
