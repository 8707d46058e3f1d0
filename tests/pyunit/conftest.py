"""The plugin's pure parts, tested without nodes (make pyunit)."""

import os
import sys

# tests/: the plugin's one loader (cloudplugin.py)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# pytester makes real pytest reports for test_places.py
pytest_plugins = ["pytester"]
