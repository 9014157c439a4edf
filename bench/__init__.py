"""`make bench` and its parts: see bench/run.py."""
