"""Peer FastAGI servers for ``bench/storm.py``: the same short journey on other stacks."""
