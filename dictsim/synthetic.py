"""Which synthetic entry has which key: a pure function of its index (no Django), so benchmarks
can pick keys that exist without reading the directory's database."""

import uuid

_EVP_NAMESPACE = uuid.UUID("5f6b2c1e-8f43-4a3a-9a43-3b1c0e2d7a10")


def seed_key(index: int) -> tuple[str, str]:
    """(key type, key) of the index-th synthetic entry: e-mails, phones and EVPs in turn."""
    kind = index % 3
    if kind == 0:
        return "EMAIL", f"seed{index}@example.com"
    if kind == 1:
        return "PHONE", f"+55119{10_000_000 + index:08d}"
    return "EVP", str(uuid.uuid5(_EVP_NAMESPACE, str(index)))


def is_legal_person(index: int) -> bool:
    """One synthetic owner in ten is a company (their lookups may be cached)."""
    return index % 10 == 9
