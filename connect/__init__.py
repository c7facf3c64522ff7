"""The port to the central directory (DICT, through the Connect gateway)."""
