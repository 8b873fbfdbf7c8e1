"""Print retentioneering's own funnel counts on its e-commerce demo (RETENTIONEERING in
tests/journey/funnel/test_public_clickstream.py). Runs *outside* this project's environment:

    python3 -m venv /tmp/rete && /tmp/rete/bin/pip install retentioneering==5.2.4
    cd tests/data/retentioneering_ecom
    RETENTIONEERING_NO_TRACK=1 /tmp/rete/bin/python reference_counts.py

(``RETENTIONEERING_NO_TRACK`` turns off the package's usage tracking.) The funnel is
``retentioneering.tools.funnel.Funnel(stream).fit(steps, path_col=...)``: per path, the
earliest step-1 event, then for each later step its earliest event strictly after the
previous one in the event stream's order; no time window.
"""

from __future__ import annotations

import os

os.environ.setdefault("RETENTIONEERING_NO_TRACK", "1")

import retentioneering as rete  # noqa: E402
from retentioneering.tools.funnel import Funnel  # noqa: E402

FUNNELS = [
    ("product_view", "add_to_cart", "cart", "shipping_details", "payment_details", "purchase"),
    ("home", "catalog", "product_view", "add_to_cart", "purchase"),
    ("search", "filter_results", "product_view", "wishlist_add"),
    ("cart", "shipping_details", "payment_details", "payment_error", "support_chat"),
]


def main() -> None:
    stream = rete.datasets.load_ecom()
    print("RETENTIONEERING = {")
    for path in ("user_id", "session_id"):
        for steps in FUNNELS:
            fitted = Funnel(stream).fit(list(steps), path_col=path)
            counts = [step["unique_paths"] for step in fitted["steps"]]
            print(f"    ({path!r}, {steps!r}): {counts},")
    print("}")


if __name__ == "__main__":
    main()
