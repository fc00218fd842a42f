"""What the demo association is made of: names, streets, organisations, projects, figures."""

from datetime import date

from supportclub.admin.models import ExemptionKind

FIRST_NAMES = (
    "Anna", "Andreas", "Angelika", "Bernd", "Birgit", "Christian", "Christine", "Claudia",
    "Daniel", "Doris", "Elke", "Emma", "Felix", "Frank", "Franziska", "Gabriele", "Gisela",
    "Hannah", "Hans-Jürgen", "Heike", "Helga", "Ingrid", "Jana", "Jens", "Johanna", "Jörg",
    "Julia", "Jürgen", "Karin", "Katrin", "Klaus", "Lea", "Lukas", "Manuela", "Maria", "Marie",
    "Markus", "Martin", "Matthias", "Michael", "Monika", "Nadine", "Nicole", "Paul", "Peter",
    "Petra", "Ralf", "Renate", "Sabine", "Sandra", "Sebastian", "Silke", "Simone", "Sophie",
    "Stefan", "Steffen", "Susanne", "Sven", "Thomas", "Tobias", "Ursula", "Uwe", "Wolfgang",
)  # fmt: skip

LAST_NAMES = (
    "Albrecht", "Arnold", "Bauer", "Beck", "Becker", "Berger", "Böhm", "Brandt", "Braun",
    "Dietrich", "Engel", "Ernst", "Fischer", "Frank", "Friedrich", "Fuchs", "Graf", "Günther",
    "Haas", "Hahn", "Hartmann", "Heinrich", "Herrmann", "Hoffmann", "Hofmann", "Jäger", "Kaiser",
    "Keller", "Klein", "Koch", "Köhler", "König", "Krause", "Krüger", "Kühn", "Lange", "Lehmann",
    "Lorenz", "Ludwig", "Maier", "Martin", "Mayer", "Meier", "Meyer", "Möller", "Müller",
    "Neumann", "Otto", "Peters", "Pohl", "Richter", "Roth", "Sauer", "Schäfer", "Schmidt",
    "Schmitt", "Schneider", "Scholz", "Schreiber", "Schröder", "Schubert", "Schulz", "Schulze",
    "Schumann", "Schwarz", "Seidel", "Sommer", "Stein", "Thiel", "Vogel", "Vogt", "Voigt",
    "Wagner", "Walter", "Weber", "Weiß", "Werner", "Winkler", "Wolf", "Zimmermann",
)  # fmt: skip

# Postal code -> streets (Jena); the neighbouring towns follow below.
JENA_STREETS = {
    "07743": (
        "Löbdergraben", "Johannisstraße", "Wagnergasse", "Dornburger Straße", "Naumburger Straße",
        "Sophienstraße", "Philosophenweg", "Am Steiger", "Lutherstraße", "Saalbahnhofstraße",
    ),
    "07745": (
        "Westbahnhofstraße", "Ammerbacher Straße", "Oßmaritzer Straße", "Anna-Siemsen-Straße",
        "Hugo-Schrade-Straße", "Mühlenstraße", "Rudolstädter Straße", "Schrödingerstraße",
    ),
    "07747": (
        "Karl-Marx-Allee", "Erlanger Allee", "Stauffenbergstraße", "Werner-Seelenbinder-Straße",
        "Kastanienstraße", "Emil-Wölk-Straße", "Platanenstraße", "Ernst-Schneller-Straße",
    ),
    "07749": (
        "Karl-Liebknecht-Straße", "Camsdorfer Ufer", "Jenzigweg", "Wenigenjenaer Ufer",
        "Schlegelstraße", "Dammstraße", "Ziegenhainer Straße",
    ),
    "07751": ("Am Anger", "Dorfstraße", "Cospedaer Grund", "Drackendorfer Straße", "Lindenweg"),
}  # fmt: skip

NEIGHBOUR_TOWNS = (
    ("07751", "Bucha", ("Hauptstraße", "Am Dorfteich", "Kirchweg")),
    ("07751", "Großpürschütz", ("Dorfstraße", "Saaleweg")),
    ("07768", "Kahla", ("Bahnhofstraße", "Rudolstädter Straße", "Margarethenstraße")),
    ("07646", "Stadtroda", ("Straße des Friedens", "Schloßstraße")),
    ("99510", "Apolda", ("Bahnhofstraße", "Sulzaer Straße", "Dornburger Straße")),
)

# key, name, street, postal code, city, e-mail (None: no address known)
COMPANIES = (
    ("stadtwerke", "Stadtwerke Saaletal GmbH", "Rudolstädter Straße 39", "07745", "Jena",
     "sponsoring-stadtwerke@example.com"),
    ("apotheke", "Löwen-Apotheke am Markt", "Markt 12", "07743", "Jena",
     "loewen-apotheke@example.com"),
    ("baeckerei", "Bäckerei Kranich", "Wagnergasse 8", "07743", "Jena",
     "baeckerei-kranich@example.com"),
    ("bank", "Volksbank Saale-Holzland eG", "Löbdergraben 3", "07743", "Jena",
     "stiftung-volksbank@example.com"),
    ("wohnungsbau", "Wohnungsgenossenschaft Saaleblick eG", "Karl-Marx-Allee 14", "07747", "Jena",
     "info-saaleblick@example.com"),
    ("autohaus", "Autohaus Wenzel GmbH", "Stadtrodaer Straße 101", "07747", "Jena",
     "autohaus-wenzel@example.com"),
    ("druckerei", "Druckerei Fischer & Söhne KG", "Göschwitzer Straße 22", "07745", "Jena",
     "druckerei-fischer@example.com"),
    ("optik", "Optik Sommer", "Johannisstraße 5", "07743", "Jena", None),
    ("ingenieure", "Ingenieurbüro Hartmann & Partner", "Carl-Zeiss-Straße 27", "07743", "Jena",
     "hartmann-partner@example.com"),
    ("software", "Lichtwerk Software GmbH", "Otto-Schott-Straße 13", "07745", "Jena",
     "buero-lichtwerk@example.com"),
    ("photonics", "Saale Photonics GmbH", "Prüssingstraße 41", "07745", "Jena",
     "saale-photonics@example.com"),
    ("zahnarzt", "Zahnarztpraxis Dr. Lindner", "Dornburger Straße 60", "07743", "Jena", None),
    ("buchhandlung", "Buchhandlung am Holzmarkt", "Holzmarkt 9", "07743", "Jena",
     "buchhandlung-holzmarkt@example.com"),
    ("lions", "Lions Club Jena-Saaletal", "Am Steiger 4", "07743", "Jena",
     "lions-saaletal@example.org"),
    ("steuerkanzlei", "Steuerkanzlei Vogt & Ritter", "Westbahnhofstraße 2", "07745", "Jena",
     "kanzlei-vogt-ritter@example.com"),
    ("tischlerei", "Tischlerei Brandt", "Am Anger 7", "07751", "Jena", None),
    ("frischemarkt", "Frischemarkt Lobeda GmbH", "Erlanger Allee 101", "07747", "Jena",
     "frischemarkt-lobeda@example.com"),
)  # fmt: skip

# Companies that are supporting (corporate) members at some point, in order of joining.
CORPORATE_MEMBERS = (
    "stadtwerke", "apotheke", "bank", "wohnungsbau", "baeckerei", "software", "ingenieure",
    "photonics", "steuerkanzlei", "frischemarkt",
)  # fmt: skip

RECIPIENTS = (
    ("stb_lobeda", "Stadtteilbüro Lobeda", "Karl-Marx-Allee 28", "07747", "Jena",
     "stadtteilbuero-lobeda@example.org"),
    ("lesepaten", "Lesepaten Jena e.V.", "Saalbahnhofstraße 11", "07743", "Jena",
     "lesepaten-jena@example.org"),
    ("fz_winzerla", "Familienzentrum Winzerla e.V.", "Anna-Siemsen-Straße 1", "07745", "Jena",
     "familienzentrum-winzerla@example.org"),
    ("mgh_nord", "Mehrgenerationenhaus Jena-Nord e.V.", "Dornburger Straße 26", "07743", "Jena",
     "mgh-jena-nord@example.org"),
    ("jugendclub", "Jugendclub Saaleblick e.V.", "Kastanienstraße 9", "07747", "Jena",
     "jugendclub-saaleblick@example.org"),
    ("kita", "Kita Sonnenblume", "Platanenstraße 3", "07747", "Jena",
     "kita-sonnenblume@example.org"),
    ("jugendhilfe", "Kinder- und Jugendhilfe Saale e.V.", "Camsdorfer Ufer 17", "07749", "Jena",
     "jugendhilfe-saale@example.org"),
    ("seniorentreff", "Seniorentreff Wenigenjena e.V.", "Karl-Liebknecht-Straße 58", "07749",
     "Jena", None),
    ("schulfoerderverein", "Schulförderverein Grundschule Ost e.V.", "Schlegelstraße 4", "07749",
     "Jena", "foerderverein-gs-ost@example.org"),
    ("sportverein", "SV Lobeda 1990 e.V.", "Werner-Seelenbinder-Straße 9", "07747", "Jena",
     "sv-lobeda@example.org"),
    ("musikschule", "Freundeskreis der Musikschule Jena e.V.", "Markt 4", "07743", "Jena",
     "freundeskreis-musikschule@example.org"),
    ("spielwagen", "Elterninitiative Spielwagen e.V.", "Ammerbacher Straße 12", "07745", "Jena",
     "spielwagen@example.org"),
    ("familientreff", "Familientreff Bucha e.V.", "Hauptstraße 21", "07751", "Bucha", None),
)  # fmt: skip

# The long-running projects, one project each with one approval per year they ran:
# code, title, recipient key, first year, last year (None: still running), purposes of the
# yearly grants, what the project is about
PROJECTS = (
    ("spielplatz", "Spielplatz Lobeda", "stb_lobeda", 2011, 2014,
     ("Spielgeräte", "Fallschutz und Sandkasten", "Sitzbänke für Eltern und Großeltern"),
     "Ein Spielplatz für Kinder und ein Treffpunkt für Eltern und Großeltern im Stadtteil."),
    ("ferien", "Ferienfreizeit für Kinder", "jugendclub", 2010, 2019,
     ("Zuschuss Zeltlager", "Busfahrt zur Ferienfreizeit", "Betreuung und Verpflegung"),
     "Eine Woche Ferienfreizeit für Kinder, deren Familien sich keinen Urlaub leisten können."),
    ("lesepaten", "Lesepaten", "lesepaten", 2013, None,
     ("Kinderbücher", "Schulung der Lesepatinnen und Lesepaten", "Bücherkisten für Kitas",
      "Lesefest"),
     "Ältere Ehrenamtliche lesen Kindern in Kitas und Grundschulen vor."),
    ("fz_winzerla", "Familienzentrum Winzerla", "fz_winzerla", 2016, 2021,
     ("Ausstattung Spielzimmer", "Elternkurse", "Familienfrühstück", "Ferienangebote"),
     "Offene Angebote für Familien mit kleinen Kindern im Familienzentrum."),
    ("garten", "Generationengarten Jena-Nord", "mgh_nord", 2018, None,
     ("Hochbeete", "Gartengeräte", "Gartenfest der Generationen", "Wasseranschluss"),
     "Jung und Alt gärtnern gemeinsam im Garten des Mehrgenerationenhauses."),
    ("elterncafe", "Elterncafé Lobeda", "kita", 2021, None,
     ("Ausstattung Elterncafé", "Kinderbetreuung während der Elternabende", "Sprachcafé"),
     "Ein Treffpunkt für Eltern in der Kita, mit Beratung und Sprachcafé."),
)  # fmt: skip

# recipient key, purpose of a one-off grant from the general fund (each becomes a project)
ONE_OFF_GRANTS = (
    ("jugendhilfe", "Elternkurs „Starke Eltern – starke Kinder“"),
    ("seniorentreff", "Weihnachtsfeier der Senioren mit Kita-Kindern"),
    ("schulfoerderverein", "Schulfest der Generationen"),
    ("sportverein", "Familiensportfest"),
    ("musikschule", "Generationenkonzert"),
    ("spielwagen", "Spielmobil im Stadtteil"),
    ("jugendclub", "Graffiti-Workshop für Jugendliche"),
    ("kita", "Sommerfest mit Großeltern"),
    ("mgh_nord", "Erzählcafé der Generationen"),
    ("fz_winzerla", "Familienausflug für Alleinerziehende"),
    ("stb_lobeda", "Stadtteilfest Lobeda"),
    ("familientreff", "Krabbelgruppe: Ausstattung"),
    ("lesepaten", "Vorlesetag in der Stadtbibliothek"),
)
REJECTION_NOTE = (
    "Abgelehnt: Der Antrag betrifft laufende Personalkosten; die fördert der Verein "
    "nach seiner Satzung nicht."
)

# Donations in kind from companies, now and then: company key, description, value range in
# cents, what the value is based on, use category, and the campaign series or the project
# (code of PROJECTS, only while it runs) it is for; None: for the association's own use.
COMPANY_GIFTS = (
    ("baeckerei", "Brot und Brötchen für das Buffet am Familienwandertag", (4000, 9000),
     "Verkaufspreise laut Lieferschein", "campaign_cost", "Familienwandertag"),
    ("druckerei", "Druck von 150 Plakaten DIN A3 für den Familienwandertag", (9000, 16000),
     "Rechnung über den Druckauftrag (Listenpreis)", "campaign_cost", "Familienwandertag"),
    ("buchhandlung", "40 neue Kinderbücher für die Bücherkisten der Lesepaten", (28000, 42000),
     "Rechnung der Buchhandlung (Ladenpreise)", "in_kind_use", "lesepaten"),
    ("tischlerei", "Zwei neue Hochbeete aus Lärchenholz für den Generationengarten",
     (30000, 60000), "Entnahmewert laut Rechnung (Material und Arbeitszeit)", "in_kind_use",
     "garten"),
    ("software", "Drei gebrauchte Notebooks (zwei Jahre alt, gut erhalten) für das Vereinsbüro",
     (45000, 75000), "Buchwert laut Anlagenverzeichnis des Unternehmens", "in_kind_use", None),
)  # fmt: skip
# Every year a member brings cakes and salads for the hiking day's buffet.
HIKING_GIFT = ("Kuchen und Salate für das Buffet am Familienwandertag", "Einkaufsbelege")
# A board member waives the travel costs the board resolved to reimburse (Aufwandsspende).
TRAVEL_RESOLUTION = date(2011, 3, 14)
TRAVEL_CENTS_PER_KM = 30

PRIVATE_DONATION_TEXTS = (
    "Spende",
    "Spende",
    "Spende für die Vereinsarbeit",
    "Spende zum Geburtstag",
)
COMPANY_DONATION_TEXTS = ("Spende", "Jahresspende", "Spende statt Kundengeschenken")

# The association's settings (the statutory purpose has no settings field yet, see MISSION).
SETTINGS = {
    "name": "Förderkreis Familienbündnis Jena e.V.",
    "street": "Löbdergraben 14",
    "postal_code": "07743",
    "city": "Jena",
    "register_court": "Amtsgericht Jena",
    "register_number": "VR 230815",
    "tax_office": "Jena",
    "tax_number": "162/141/08154",
    "exemption_kind": ExemptionKind.FREISTELLUNGSBESCHEID,
    "exemption_date": date(2024, 5, 14),
    "exemption_period": "2020 bis 2022",
    "purposes": "der Jugend- und Altenhilfe, der Erziehung und des Wohlfahrtswesens",
    "founding_year": 2009,
    "grants_before_cents": 0,
}
MISSION = (
    "Jena als kinder- und familienfreundliche Stadt zu unterstützen, die das Miteinander "
    "der Generationen fördert"
)

# Membership types: code -> (name, description, fee rates as (valid from, cents per year)).
# The regular fee was raised from 36 € to 48 € in 2025; claims before stay at 36 €.
MEMBERSHIP_TYPES = {
    "regular": ("Regulär", "Ordentliche Mitgliedschaft",
                ((date(2009, 1, 1), 3600), (date(2025, 1, 1), 4800))),
    "reduced": ("Ermäßigt", "Schülerinnen, Schüler, Studierende, Auszubildende",
                ((date(2009, 1, 1), 1800),)),
    "family": ("Familie", "Eltern mit ihren Kindern unter 18 Jahren",
               ((date(2009, 1, 1), 6000),)),
    "corporate": ("Firma", "Fördernde Mitgliedschaft für Unternehmen",
                  ((date(2009, 1, 1), 25000),)),
}  # fmt: skip
# What generous members pay instead of the fee (the part above the fee is a donation).
GENEROUS = {
    "regular": (4000, 5000, 6000),
    "reduced": (2000, 2500, 3000),
    "family": (7500, 8000, 10000),
    "corporate": (30000, 50000),
}
FEE_LABELS = {"regular": "", "reduced": " ermäßigt", "family": " Familie", "corporate": " Firma"}
# Who else pays: a parent pays a reduced (child's) membership, a company an employee's.
EMPLOYER_PAYS = "ingenieure"
MANDATES = 8  # members who pay by SEPA direct debit
MANDATE_BANK_CODE = "83053030"  # Sparkasse Jena-Saale-Holzland
DEBIT_DAY = (3, 1)  # direct debits are collected on 1 March
# Late payers in the last demo year: not paid at all, and paid half of the fee.
UNPAID_LAST_YEAR = 5
PARTLY_PAID_LAST_YEAR = 2
DUES_MONTHS = (1, 1, 1, 2, 2, 3, 3, 4, 5, 6, 9, 11)

# Donation amounts in euros; December is the month of giving.
PRIVATE_DONATIONS = (20, 25, 30, 50, 50, 50, 100, 100, 150, 200, 250, 500)
COMPANY_DONATIONS = (300, 400, 500, 500, 750, 1000, 1000, 1500, 2000)
DONATION_MONTHS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12, 12, 12)
CARD_BUYERS = ("apotheke", "software", "ingenieure", "steuerkanzlei")

# Bank interest in basis points per year (none in the years of zero rates; 50 after 2024).
INTEREST_BP = {2009: 75, 2010: 50, 2011: 50, 2012: 25, 2013: 10, 2022: 10, 2023: 100, 2024: 125}
