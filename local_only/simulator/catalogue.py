"""The shop's catalogue: a computer-and-accessories store with categories, brands, prices and discounts.

The catalogue is fixed (its own constant seed), not derived from the traffic seed: every generated data set then
describes the same products, so product dimensions stay comparable between runs with different seeds.
"""

from __future__ import annotations

import random
import re
from bisect import bisect
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

SHOP_ORIGIN = "https://shop.example.com"
_CATALOGUE_SEED = "catalogue-v1"


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    slug: str
    name: str
    category: str
    brand: str
    price_cents: int
    discount_cents: int | None

    @property
    def url(self) -> str:
        return f"{SHOP_ORIGIN}/product/{self.slug}"

    @property
    def paid_cents(self) -> int:
        """What a buyer pays: the discount price when there is one."""
        return self.discount_cents if self.discount_cents is not None else self.price_cents

    def as_event_product(self) -> dict[str, object]:
        product: dict[str, object] = {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "brand": self.brand,
            "price": self.price_cents / 100,
        }
        if self.discount_cents is not None:
            product["discountPrice"] = self.discount_cents / 100
        return product


@dataclass(frozen=True, slots=True)
class _Line:
    """A category's range: price bounds in dollars, (brand, model) pairs and variant suffixes."""

    category: str
    title: str
    price_range: tuple[int, int]
    models: tuple[tuple[str, str], ...]
    variants: tuple[tuple[str, float], ...] = (("", 1.0),)
    popularity: float = 1.0


_LINES = (
    _Line(
        "laptops",
        "Laptops",
        (549, 2899),
        (
            ("Lenovo", "ThinkPad X1 Carbon Gen 12"),
            ("Lenovo", "IdeaPad Slim 5 14"),
            ("Lenovo", "Legion Pro 5 16"),
            ("Dell", "XPS 13 9340"),
            ("Dell", "Inspiron 15 3530"),
            ("HP", "Spectre x360 14"),
            ("HP", "Pavilion 15"),
            ("ASUS", "ROG Zephyrus G14"),
            ("ASUS", "Zenbook 14 OLED"),
            ("Acer", "Swift Go 14"),
            ("Acer", "Nitro V 15"),
            ("Apple", "MacBook Air 13 M3"),
            ("Apple", "MacBook Pro 14 M4"),
            ("MSI", "Katana 15"),
            ("Razer", "Blade 14"),
        ),
        (("16GB/512GB", 1.0), ("32GB/1TB", 1.3)),
        popularity=2.2,
    ),
    _Line(
        "desktops",
        "Desktops",
        (499, 3299),
        (
            ("Dell", "OptiPlex 7020 Tower"),
            ("Lenovo", "Legion Tower 5i"),
            ("Apple", "Mac mini M4"),
            ("HP", "OMEN 40L"),
            ("ASUS", "ROG Strix G16CH"),
            ("Acer", "Aspire TC-1780"),
            ("HP", "Envy Desktop TE02"),
            ("MSI", "MAG Infinite S3"),
        ),
        (("16GB/512GB", 1.0), ("32GB/2TB", 1.35)),
        popularity=0.9,
    ),
    _Line(
        "monitors",
        "Monitors",
        (129, 1199),
        (
            ("Dell", "UltraSharp U2724D"),
            ("LG", "UltraGear 27GR83Q"),
            ("Samsung", "Odyssey G7"),
            ("ASUS", "ProArt PA278QV"),
            ("BenQ", "PD2705U"),
            ("AOC", "24G2SP"),
            ("LG", "27UP850-W 4K"),
            ("Gigabyte", "M27Q X"),
            ("Samsung", "ViewFinity S8"),
            ("Acer", "Nitro XV272U"),
        ),
        (("27-inch", 1.0), ("32-inch", 1.25)),
        popularity=1.8,
    ),
    _Line(
        "keyboards",
        "Keyboards",
        (29, 229),
        (
            ("Logitech", "MX Keys S"),
            ("Keychron", "K2 Pro"),
            ("Keychron", "Q1 Max"),
            ("Corsair", "K70 RGB Pro"),
            ("Razer", "BlackWidow V4"),
            ("SteelSeries", "Apex Pro TKL"),
            ("Logitech", "K380"),
            ("Microsoft", "Ergonomic Keyboard"),
            ("HyperX", "Alloy Origins Core"),
        ),
        popularity=1.3,
    ),
    _Line(
        "mice",
        "Mice",
        (19, 159),
        (
            ("Logitech", "MX Master 3S"),
            ("Logitech", "G502 X Plus"),
            ("Logitech", "M720 Triathlon"),
            ("Razer", "DeathAdder V3"),
            ("Razer", "Basilisk V3"),
            ("SteelSeries", "Rival 3"),
            ("Microsoft", "Bluetooth Mouse"),
            ("Corsair", "Harpoon RGB Wireless"),
        ),
        (("Black", 1.0), ("White", 1.0)),
        popularity=1.4,
    ),
    _Line(
        "headsets",
        "Headsets",
        (39, 399),
        (
            ("HyperX", "Cloud III"),
            ("SteelSeries", "Arctis Nova 7"),
            ("Sony", "WH-1000XM5"),
            ("Logitech", "G Pro X 2"),
            ("Jabra", "Evolve2 65"),
            ("Razer", "BlackShark V2 Pro"),
            ("Corsair", "HS80 RGB Wireless"),
            ("Bose", "QuietComfort Ultra"),
        ),
        popularity=1.1,
    ),
    _Line(
        "storage",
        "Storage",
        (45, 379),
        (
            ("Samsung", "990 Pro NVMe SSD"),
            ("WD", "Black SN850X NVMe SSD"),
            ("Crucial", "MX500 SATA SSD"),
            ("Crucial", "T500 NVMe SSD"),
            ("Seagate", "BarraCuda HDD"),
            ("SanDisk", "Extreme Portable SSD"),
            ("Samsung", "T7 Shield Portable SSD"),
            ("Kingston", "NV3 NVMe SSD"),
        ),
        (("1TB", 1.0), ("2TB", 1.7), ("4TB", 2.9)),
        popularity=1.2,
    ),
    _Line(
        "networking",
        "Networking",
        (25, 599),
        (
            ("TP-Link", "Archer AX55 Wi-Fi 6 Router"),
            ("ASUS", "RT-AX86U Pro Router"),
            ("Netgear", "Orbi RBK763S Mesh System"),
            ("Ubiquiti", "UniFi U6 Lite Access Point"),
            ("TP-Link", "TL-SG108 8-Port Switch"),
            ("TP-Link", "Deco X55 Mesh System"),
            ("Netgear", "Nighthawk RAX54S Router"),
            ("Eero", "Pro 6E Mesh Router"),
        ),
        popularity=0.8,
    ),
    _Line(
        "components",
        "Components",
        (59, 1899),
        (
            ("NVIDIA", "GeForce RTX 4070 SUPER"),
            ("NVIDIA", "GeForce RTX 4060"),
            ("AMD", "Radeon RX 7800 XT"),
            ("AMD", "Ryzen 7 7800X3D"),
            ("AMD", "Ryzen 5 7600"),
            ("Intel", "Core i5-14600K"),
            ("Intel", "Core i7-14700K"),
            ("Corsair", "Vengeance DDR5-6000 32GB"),
            ("G.Skill", "Trident Z5 RGB DDR5 32GB"),
            ("Corsair", "RM850x Power Supply"),
            ("NZXT", "H5 Flow Case"),
            ("ASUS", "TUF Gaming B650-Plus WiFi"),
            ("Noctua", "NH-D15 CPU Cooler"),
        ),
        popularity=1.5,
    ),
    _Line(
        "cables",
        "Cables & Adapters",
        (7, 69),
        (
            ("Anker", "USB-C to USB-C Cable 6ft"),
            ("Cable Matters", "DisplayPort 1.4 Cable"),
            ("UGREEN", "HDMI 2.1 8K Cable"),
            ("Belkin", "Thunderbolt 4 Cable"),
            ("Monoprice", "Cat 6 Ethernet Cable 25ft"),
            ("Anker", "USB-C to HDMI Adapter"),
            ("UGREEN", "USB-C Hub 7-in-1"),
            ("Amazon Basics", "USB-A to USB-C Cable 2-Pack"),
        ),
        popularity=1.0,
    ),
    _Line(
        "accessories",
        "Accessories",
        (15, 299),
        (
            ("Logitech", "C920s HD Webcam"),
            ("Logitech", "Brio 4K Webcam"),
            ("CalDigit", "TS4 Thunderbolt Dock"),
            ("Anker", "563 USB-C Docking Station"),
            ("Rain Design", "mStand Laptop Stand"),
            ("Elgato", "Stream Deck MK.2"),
            ("Anker", "737 Power Bank"),
            ("SteelSeries", "QcK Heavy Mouse Pad"),
        ),
        popularity=0.9,
    ),
)

CATEGORIES: tuple[str, ...] = tuple(line.category for line in _LINES)
CATEGORY_TITLES: dict[str, str] = {line.category: line.title for line in _LINES}

# Accessories a buyer of one category plausibly adds next ("frequently bought together").
CROSS_SELL: dict[str, tuple[str, ...]] = {
    "laptops": ("mice", "accessories", "headsets", "cables"),
    "desktops": ("monitors", "keyboards", "mice", "networking"),
    "monitors": ("cables", "accessories"),
    "keyboards": ("mice", "accessories"),
    "mice": ("keyboards", "accessories"),
    "headsets": ("accessories",),
    "storage": ("cables", "components"),
    "networking": ("cables",),
    "components": ("components", "storage"),
    "cables": ("cables",),
    "accessories": ("cables",),
}

# What people type into the shop's search box: generic needs, brands, models and the odd typo.
_GENERIC_QUERIES = (
    ("gaming laptop", "laptops"),
    ("laptop for students", "laptops"),
    ("macbook", "laptops"),
    ("thinkpad", "laptops"),
    ("mini pc", "desktops"),
    ("gaming pc", "desktops"),
    ("4k monitor", "monitors"),
    ("27 inch monitor", "monitors"),
    ("144hz monitor", "monitors"),
    ("ultrawide", "monitors"),
    ("mechanical keyboard", "keyboards"),
    ("wireless keyboard", "keyboards"),
    ("wireless mouse", "mice"),
    ("logitec mouse", "mice"),
    ("gaming mouse", "mice"),
    ("noise cancelling headphones", "headsets"),
    ("headset with mic", "headsets"),
    ("ssd 2tb", "storage"),
    ("nvme", "storage"),
    ("external hard drive", "storage"),
    ("wifi 6 router", "networking"),
    ("mesh wifi", "networking"),
    ("ethernet switch", "networking"),
    ("rtx 4070", "components"),
    ("graphics card", "components"),
    ("ryzen 7", "components"),
    ("ddr5 ram", "components"),
    ("power supply 850w", "components"),
    ("usb c cable", "cables"),
    ("hdmi cable", "cables"),
    ("usb c hub", "cables"),
    ("displayport cable", "cables"),
    ("webcam", "accessories"),
    ("docking station", "accessories"),
    ("laptop stand", "accessories"),
)


@dataclass(frozen=True, slots=True)
class _Weighted:
    """Products with cumulative popularity weights, for an O(log n) weighted draw."""

    products: tuple[Product, ...]
    cumulative: tuple[float, ...]

    def draw(self, rng: random.Random) -> Product:
        return self.products[bisect(self.cumulative, rng.random() * self.cumulative[-1])]


@dataclass(frozen=True, slots=True)
class Catalogue:
    products: tuple[Product, ...]
    searches: tuple[tuple[str, str], ...]
    _all: _Weighted
    _by_category: dict[str, _Weighted]
    _category_cumulative: tuple[float, ...]

    def popular_product(self, rng: random.Random) -> Product:
        return self._all.draw(rng)

    def product_in(self, category: str, rng: random.Random) -> Product:
        return self._by_category[category].draw(rng)

    def category(self, rng: random.Random) -> str:
        return CATEGORIES[bisect(self._category_cumulative, rng.random() * self._category_cumulative[-1])]

    def search_query(self, rng: random.Random) -> tuple[str, str]:
        """A query and the category its results come from."""
        return self.searches[int(rng.random() * len(self.searches))]


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@lru_cache(maxsize=1)
def shop_catalogue() -> Catalogue:
    rng = random.Random(_CATALOGUE_SEED)
    products: list[Product] = []
    weights: list[float] = []
    for line in _LINES:
        low, high = line.price_range
        for brand, model in line.models:
            base = rng.uniform(low, high * 0.8)
            # A Zipf-like long tail: a few best sellers per category, many products rarely viewed.
            appeal = line.popularity * rng.paretovariate(1.6)
            discounted = rng.random() < 0.22
            for suffix, factor in line.variants:
                name = f"{brand} {model}" + (f" {suffix}" if suffix else "")
                price = _shop_price(base * factor)
                discount = _shop_price(price / 100 * (1 - rng.uniform(0.05, 0.3))) if discounted else None
                sku = f"SKU-{line.category[:3].upper()}-{len(products) + 1001:04d}"
                products.append(Product(sku, slugify(name), name, line.category, brand, price, discount))
                weights.append(appeal * (1.0 if not suffix or factor == 1.0 else 0.6))
    searches = _GENERIC_QUERIES + tuple((p.name.lower(), p.category) for p in products[::3])
    by_category = {
        category: _weighted([(p, w) for p, w in zip(products, weights, strict=True) if p.category == category])
        for category in CATEGORIES
    }
    category_totals = [by_category[c].cumulative[-1] for c in CATEGORIES]
    return Catalogue(
        products=tuple(products),
        searches=searches,
        _all=_weighted(list(zip(products, weights, strict=True))),
        _by_category=by_category,
        _category_cumulative=tuple(accumulate(category_totals)),
    )


def _weighted(pairs: list[tuple[Product, float]]) -> _Weighted:
    return _Weighted(tuple(p for p, _ in pairs), tuple(accumulate(w for _, w in pairs)))


def _shop_price(dollars: float) -> int:
    """Shop prices end in .99 (in cents)."""
    return max(int(dollars), 1) * 100 - 1
