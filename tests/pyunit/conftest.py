# pytester makes real pytest reports for test_places.py
pytest_plugins = ["pytester"]
