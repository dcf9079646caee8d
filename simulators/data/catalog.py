"""Word lists and reference values the generator draws from: a European maker of
industrial pumps, valves, motors and their spare parts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProductFamily:
    name: str
    variants: tuple[str, ...]
    price_range: tuple[float, float]
    quantity_range: tuple[int, int]  # typical quantity on one order line
    uom: str = "Unit"
    materials: tuple[str, ...] = ()


PRODUCT_FAMILIES: tuple[ProductFamily, ...] = (
    ProductFamily(
        "Centrifugal Pump",
        ("CP-32", "CP-40", "CP-50", "CP-65", "CP-80", "CP-100", "CP-125"),
        (850.0, 7400.0),
        (1, 6),
        materials=("cast iron", "stainless steel 316", "bronze"),
    ),
    ProductFamily(
        "Submersible Pump",
        ("SP-3", "SP-4", "SP-6", "SP-8"),
        (620.0, 5200.0),
        (1, 8),
        materials=("stainless steel 304", "cast iron"),
    ),
    ProductFamily(
        "Gear Pump",
        ("GP-10", "GP-25", "GP-40", "GP-63"),
        (430.0, 2900.0),
        (1, 10),
        materials=("cast iron", "stainless steel 316"),
    ),
    ProductFamily(
        "Diaphragm Pump",
        ("DP-15", "DP-25", "DP-40"),
        (540.0, 3100.0),
        (1, 8),
        materials=("PVDF", "polypropylene", "aluminium"),
    ),
    ProductFamily(
        "Ball Valve",
        ("DN15", "DN25", "DN40", "DN50", "DN80", "DN100"),
        (38.0, 690.0),
        (2, 40),
        materials=("brass", "stainless steel 316", "PVC"),
    ),
    ProductFamily(
        "Butterfly Valve",
        ("DN50", "DN80", "DN100", "DN150", "DN200", "DN300"),
        (95.0, 1450.0),
        (1, 24),
        materials=("ductile iron", "stainless steel 316"),
    ),
    ProductFamily(
        "Gate Valve",
        ("DN50", "DN80", "DN100", "DN150"),
        (140.0, 1280.0),
        (1, 16),
        materials=("ductile iron", "cast steel"),
    ),
    ProductFamily(
        "Check Valve",
        ("DN25", "DN50", "DN80", "DN100"),
        (60.0, 820.0),
        (1, 20),
        materials=("bronze", "ductile iron", "stainless steel 316"),
    ),
    ProductFamily(
        "Control Valve",
        ("CV-25", "CV-50", "CV-80"),
        (780.0, 4900.0),
        (1, 6),
        materials=("cast steel", "stainless steel 316"),
    ),
    ProductFamily(
        "IE3 Electric Motor",
        ("0.75 kW", "1.5 kW", "4 kW", "7.5 kW", "15 kW", "30 kW", "55 kW"),
        (210.0, 4600.0),
        (1, 8),
        materials=("aluminium frame", "cast iron frame"),
    ),
    ProductFamily(
        "IE4 Electric Motor",
        ("2.2 kW", "5.5 kW", "11 kW", "22 kW", "45 kW"),
        (390.0, 6900.0),
        (1, 6),
        materials=("aluminium frame", "cast iron frame"),
    ),
    ProductFamily(
        "Helical Gearbox",
        ("HG-1", "HG-2", "HG-3", "HG-4"),
        (520.0, 3800.0),
        (1, 6),
        materials=("cast iron",),
    ),
    ProductFamily(
        "Variable Frequency Drive",
        ("VFD-4", "VFD-11", "VFD-30", "VFD-75"),
        (340.0, 5600.0),
        (1, 6),
        materials=("IP20", "IP55"),
    ),
    ProductFamily(
        "Mechanical Seal Kit",
        ("MS-20", "MS-30", "MS-45", "MS-60"),
        (28.0, 310.0),
        (2, 50),
        uom="Set",
        materials=("carbon/SiC", "SiC/SiC", "carbon/ceramic"),
    ),
    ProductFamily(
        "Impeller",
        ("CP-40", "CP-65", "CP-80", "CP-100"),
        (64.0, 720.0),
        (1, 20),
        materials=("bronze", "stainless steel 316", "cast iron"),
    ),
    ProductFamily(
        "Flexible Coupling",
        ("FC-24", "FC-38", "FC-55"),
        (22.0, 260.0),
        (2, 30),
        materials=("elastomer", "steel disc"),
    ),
    ProductFamily(
        "Pressure Transmitter",
        ("0-10 bar", "0-16 bar", "0-40 bar"),
        (180.0, 690.0),
        (1, 20),
        materials=("4-20 mA", "HART"),
    ),
    ProductFamily(
        "Electromagnetic Flow Meter",
        ("DN25", "DN50", "DN100"),
        (890.0, 3400.0),
        (1, 6),
        materials=("PTFE liner", "rubber liner"),
    ),
    ProductFamily(
        "Pump Control Panel",
        ("PCP-1", "PCP-2", "PCP-DUO"),
        (450.0, 2600.0),
        (1, 4),
        materials=("IP54", "IP65"),
    ),
)


@dataclass(frozen=True)
class Place:
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2


PLACES: tuple[Place, ...] = (
    Place("Hamburg", "20095", "DE"),
    Place("Berlin", "10115", "DE"),
    Place("München", "80331", "DE"),
    Place("Köln", "50667", "DE"),
    Place("Stuttgart", "70173", "DE"),
    Place("Leipzig", "04109", "DE"),
    Place("Dortmund", "44135", "DE"),
    Place("Bremen", "28195", "DE"),
    Place("Rotterdam", "3011 AB", "NL"),
    Place("Amsterdam", "1012 JS", "NL"),
    Place("Eindhoven", "5611 AZ", "NL"),
    Place("Utrecht", "3511 LX", "NL"),
    Place("Lyon", "69002", "FR"),
    Place("Paris", "75008", "FR"),
    Place("Lille", "59000", "FR"),
    Place("Toulouse", "31000", "FR"),
    Place("Marseille", "13002", "FR"),
    Place("Antwerpen", "2000", "BE"),
    Place("Gent", "9000", "BE"),
    Place("Wien", "1010", "AT"),
    Place("Linz", "4020", "AT"),
    Place("Poznań", "61-001", "PL"),
    Place("Wrocław", "50-001", "PL"),
    Place("Gdańsk", "80-001", "PL"),
    Place("Milano", "20121", "IT"),
    Place("Torino", "10121", "IT"),
    Place("Bilbao", "48001", "ES"),
    Place("Barcelona", "08001", "ES"),
    Place("Aarhus", "8000", "DK"),
    Place("Göteborg", "411 01", "SE"),
    Place("Brno", "602 00", "CZ"),
)

STREETS: dict[str, tuple[str, ...]] = {
    "DE": ("Hafenstraße", "Industriestraße", "Am Kanal", "Lindenweg", "Werkstraße"),
    "NL": ("Havenweg", "Industrieweg", "Kanaalkade", "Molenstraat", "Dorpsstraat"),
    "FR": ("Rue de l'Industrie", "Avenue Jean Jaurès", "Quai du Port", "Rue des Forges"),
    "BE": ("Havenlaan", "Nijverheidsstraat", "Kaai", "Stationsstraat"),
    "AT": ("Industriezeile", "Hauptplatz", "Donaulände", "Fabrikstraße"),
    "PL": ("ulica Przemysłowa", "ulica Portowa", "ulica Fabryczna"),
    "IT": ("Via dell'Industria", "Via Roma", "Corso Torino", "Via del Porto"),
    "ES": ("Calle Industria", "Avenida del Puerto", "Calle Mayor"),
    "DK": ("Havnegade", "Industrivej", "Søndergade"),
    "SE": ("Hamngatan", "Industrivägen", "Storgatan"),
    "CZ": ("Průmyslová", "Nádražní", "Tovární"),
}

PHONE_PREFIXES: dict[str, str] = {
    "DE": "+49",
    "NL": "+31",
    "FR": "+33",
    "BE": "+32",
    "AT": "+43",
    "PL": "+48",
    "IT": "+39",
    "ES": "+34",
    "DK": "+45",
    "SE": "+46",
    "CZ": "+420",
}

LEGAL_FORMS: dict[str, str] = {
    "DE": "GmbH",
    "NL": "B.V.",
    "FR": "SAS",
    "BE": "NV",
    "AT": "GmbH",
    "PL": "Sp. z o.o.",
    "IT": "S.p.A.",
    "ES": "S.L.",
    "DK": "A/S",
    "SE": "AB",
    "CZ": "s.r.o.",
}

COMPANY_STEMS: tuple[str, ...] = (
    "Nordwerk",
    "Rheintal",
    "Alpenquell",
    "Baltica",
    "Van der Berg",
    "Maasland",
    "Danubia",
    "Hanseatic",
    "Lumière",
    "Iberica",
    "Vistula",
    "Elbtal",
    "Tatra",
    "Fjordvik",
    "Padana",
    "Brabant",
    "Ruhrkraft",
    "Saône",
    "Moravia",
    "Jutland",
    "Schelde",
    "Ostsee",
    "Provence",
    "Kastell",
)

COMPANY_TRADES: tuple[str, ...] = (
    "Wasserwerke",
    "Chemie",
    "Agro",
    "Energy",
    "Brewing",
    "Paper",
    "Mining",
    "Utilities",
    "Food Processing",
    "Pharma",
    "HVAC Systems",
    "Marine",
    "Desalination",
    "Dairy",
    "District Heating",
)

FIRST_NAMES: tuple[str, ...] = (
    "Anna",
    "Lukas",
    "Sophie",
    "Jan",
    "Marie",
    "Pieter",
    "Camille",
    "Luca",
    "Giulia",
    "Mateo",
    "Lucía",
    "Magnus",
    "Freja",
    "Tomasz",
    "Zofia",
    "Jakub",
    "Elena",
    "Noah",
    "Emma",
    "Hugo",
)

LAST_NAMES: tuple[str, ...] = (
    "Müller",
    "Schmidt",
    "de Vries",
    "Jansen",
    "Dubois",
    "Lefèvre",
    "Rossi",
    "Bianchi",
    "García",
    "Fernández",
    "Nielsen",
    "Andersson",
    "Kowalski",
    "Nowak",
    "Novák",
    "Huber",
    "Peeters",
    "Martin",
    "Weber",
    "Bakker",
)

WAREHOUSES: tuple[str, ...] = ("Rotterdam", "Leipzig", "Lyon", "Bilbao")

WORKCENTERS: tuple[str, ...] = (
    "Machining Cell 1",
    "Machining Cell 2",
    "Pump Assembly",
    "Valve Assembly",
    "Motor Winding",
    "Test Bench",
    "Paint Shop",
)

PAYMENT_TERMS: dict[str, str] = {
    "enterprise": "60 days",
    "smb": "30 days",
    "consumer": "Immediate Payment",
}

CARRIERS: tuple[str, ...] = ("DHL", "UPS", "DB Schenker", "DPD", "GLS", "Kuehne+Nagel")
CARRIER_WEIGHTS: tuple[int, ...] = (30, 20, 18, 14, 10, 8)

CARRIER_HUBS: dict[str, tuple[str, ...]] = {
    "DHL": ("Leipzig Hub", "Venlo", "Köln"),
    "UPS": ("Köln/Bonn Hub", "Eindhoven", "Paris Roissy"),
    "DB Schenker": ("Duisburg", "Nürnberg", "Lyon Corbas"),
    "DPD": ("Aschaffenburg", "Ludwigsburg", "Lille"),
    "GLS": ("Neuenstein", "Utrecht", "Graz"),
    "Kuehne+Nagel": ("Hamburg Terminal", "Antwerpen Port", "Bilbao Port"),
}

EXCEPTION_REASONS: tuple[str, ...] = (
    "Delivery attempt failed: recipient not available",
    "Address incomplete, carrier contacting recipient",
    "Held at customs",
    "Damaged packaging reported at hub",
)

SUPPLIER_NAMES: tuple[tuple[str, str], ...] = (
    ("Bochumer Gusswerke GmbH", "DE"),
    ("Siegerland Stahlguss GmbH", "DE"),
    ("Eifel Dichtungstechnik GmbH", "DE"),
    ("Twente Precision Parts B.V.", "NL"),
    ("Fonderie de Lorraine SAS", "FR"),
    ("Ateliers Mécaniques du Rhône SAS", "FR"),
    ("Bergamo Valvole S.p.A.", "IT"),
    ("Brescia Fusioni S.r.l.", "IT"),
    ("Fundiciones del Nervión S.A.", "ES"),
    ("Śląskie Odlewnie Sp. z o.o.", "PL"),
    ("Ostrava Motors a.s.", "CZ"),
    ("Göta Lager AB", "SE"),
    ("Nordjysk Elektro A/S", "DK"),
    ("Styria Antriebstechnik GmbH", "AT"),
    ("Anatolia Döküm A.Ş.", "TR"),
    ("Pune Castings Pvt. Ltd.", "IN"),
    ("Ningbo Seals Co., Ltd.", "CN"),
    ("Suzhou Drives Co., Ltd.", "CN"),
    ("Busan Precision Co., Ltd.", "KR"),
    ("Taichung Bearing Corp.", "TW"),
    ("Ohio Instruments Inc.", "US"),
    ("Monterrey Metal S.A. de C.V.", "MX"),
    ("Gent Electronics NV", "BE"),
    ("Kraków Elektronika Sp. z o.o.", "PL"),
)
