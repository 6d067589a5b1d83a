def test_it_imports():
    assert True
