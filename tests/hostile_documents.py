"""Documents an attacker sends, shared by the schema's and the gateway's tests."""

from __future__ import annotations


def fragment_bomb(fragments: int) -> str:
    """Each fragment spreads the next twice: 2**fragments leaves once expanded."""
    lines = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(fragments)]
    lines.append(f"fragment F{fragments} on Query {{ __typename }}")
    return "query Bomb { ...F0 }\n" + "\n".join(lines)


def fragment_chain(fragments: int, on: str = "Query", between: tuple[str, str] = ("", "")) -> str:
    """Each fragment spreads the next once (inside ``between``'s fields, if any)."""
    opening, closing = between
    lines = [
        f"fragment F{i} on {on} {{ {opening} ...F{i + 1} {closing} }}" for i in range(fragments)
    ]
    lines.append(f"fragment F{fragments} on {on} {{ __typename }}")
    return "query Chain { ...F0 }\n" + "\n".join(lines)
