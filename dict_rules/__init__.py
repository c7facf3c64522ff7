"""BCB's DICT rules as pure Python: no Django, nothing of ours.

The floor both sides stand on: the PSP's apps and the simulated directory (dictsim) import it,
and it imports neither. import-linter holds that.
"""
