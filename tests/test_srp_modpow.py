"""srp.modpow (GMP through gmpy2) gives exactly Python's pow on SRP's numbers."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from cognito_harness import srp

_BIG = st.integers(min_value=-(2 ** 3100), max_value=2 ** 6200)  # unreduced products, negative differences


@settings(max_examples=20, deadline=None)
@given(base=_BIG, exponent=st.integers(min_value=0, max_value=2 ** 300))
def test_modpow_is_pow_on_the_group(base, exponent):
    assert srp.modpow(base, exponent, srp.N) == pow(base, exponent, srp.N)
    assert type(srp.modpow(base, exponent, srp.N)) is int


def test_modpow_edge_values():
    for base, exponent in [(0, 0), (0, 5), (1, 0), (srp.N, 3), (srp.N - 1, 2), (-1, 3), (srp.G, 1)]:
        assert srp.modpow(base, exponent, srp.N) == pow(base, exponent, srp.N)
