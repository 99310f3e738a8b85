"""Check characters of the 统一社会信用代码 (GB 32100-2015) and the 组织机构代码 (GB 11714-1997).

A synthetic code is ``1`` (登记管理部门: 机构编制) + ``1`` (机构类别: 机关) + the 6-digit
administrative division (330000 for the province) + a 9-character organisation code whose
last character is its own GB 11714 check character + the GB 32100 check character.
"""

from __future__ import annotations

import random

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def org_check(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    total = sum(_value(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def uscc_check(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """True when both check characters of an 18-character code are right."""
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        return False
    org = code[8:17]
    return org_check(org[:8]) == org[8] and uscc_check(code[:17]) == code[17]


def synthetic(rng: random.Random, area: str = "330000") -> str:
    """A synthetic, well-formed code for a government body (机关) in ``area``."""
    body = "00" + "".join(rng.choice("0123456789") for _ in range(6))
    first17 = "11" + area + body + org_check(body)
    return first17 + uscc_check(first17)
