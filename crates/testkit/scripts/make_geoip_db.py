"""Writes a small MaxMind-format country database: the recipe of fixtures/geoip-country.mmdb.

Usage: make_geoip_db.py OUT.mmdb CIDR=ISO [CIDR=ISO ...]
Each network maps to `{"country": {"iso_code": ISO}}`, the shape of GeoLite2-Country.
The tests read the committed fixture and never run this; the exact command and the package
versions are in fixtures/README.md. Needs `pip install mmdb-writer`.
"""

import sys

from mmdb_writer import MMDBWriter
from netaddr import IPSet


def main() -> None:
    out, *pairs = sys.argv[1:]
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-Country")
    for pair in pairs:
        network, iso = pair.split("=")
        writer.insert_network(IPSet([network]), {"country": {"iso_code": iso}})
    writer.to_db_file(out)


if __name__ == "__main__":
    main()
