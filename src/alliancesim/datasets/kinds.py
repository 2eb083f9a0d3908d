"""What each importable dataset looks like: its layouts, checks, releases and citation.

One `Kind` per dataset the field uses (docs/data.md lists them). A file is recognised by its
header (a `Layout`'s required columns), converted to the kind's canonical columns by SQL
expressions, checked (types, code ranges, unique keys, year coverage), and labelled with a
release: the release whose last year the file reaches (a file that stops short of every
release is refused as truncated), or the one the user names.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Layout:
    """One published layout of a dataset: the columns that identify it and how to read them."""

    name: str
    required: tuple[str, ...]  # lower-case column names the header must have
    select: dict[str, str]  # canonical column -> SQL expression over the file's columns
    version_column: str | None = None  # a column that states the release, if any
    release: str | None = None  # the release this layout always is (derived re-saves)
    wide_years: bool = False  # one column per year (SIPRI): unpivoted to (…, year, value)


@dataclass(frozen=True)
class Kind:
    name: str  # the KIND a user types: alliancesim data import KIND PATH
    table: str  # the store's table
    title: str
    layouts: tuple[Layout, ...]
    integers: tuple[str, ...] = ()  # canonical columns that must hold whole numbers
    numbers: tuple[str, ...] = ()  # canonical columns that must hold numbers
    codes: tuple[str, ...] = ()  # canonical columns holding COW state codes (2..999)
    key: tuple[str, ...] = ()  # canonical columns that identify a row
    year: str = "year"  # the canonical column whose range is the file's coverage
    first_year: int = 1816
    releases: dict[str, int] = field(default_factory=dict)  # release -> last year it covers
    rows: dict[str, int] = field(default_factory=dict)  # release -> published row count
    cite: str = ""  # the citation the publisher asks for (text)
    bibtex: str = ""
    url: str = ""
    code_max: int = 999  # ATOP gives states outside the COW system codes above 999
    deduplicate: bool = False  # the published file repeats rows (COW country codes)


# Missing-value codes of the COW family (-9 unknown, -8 not applicable, -7 ...) become NULL.
def _num(col: str) -> str:
    return f"CASE WHEN TRY_CAST({col} AS DOUBLE) IN (-9, -8, -7, -6) THEN NULL ELSE {col} END"


NMC_COLUMNS = ("milex", "milper", "irst", "pec", "tpop", "upop", "cinc")

KINDS: dict[str, Kind] = {}


def _add(kind: Kind) -> None:
    KINDS[kind.name] = kind


_add(Kind(
    name="nmc", table="nmc", title="COW National Material Capabilities",
    layouts=(
        Layout("COW abridged (stateabb, ccode, year, ..., cinc, version)",
               ("stateabb", "ccode", "year", *NMC_COLUMNS, "version"),
               {"ccode": "ccode", "year": "year", **{c: _num(c) for c in NMC_COLUMNS}},
               version_column="version"),
        Layout("peacesciencer cow_nmc (ccode, year, ..., cinc; -9 as NA)",
               ("ccode", "year", *NMC_COLUMNS),
               {"ccode": "ccode", "year": "year", **{c: _num(c) for c in NMC_COLUMNS}}),
    ),
    integers=("ccode", "year"), numbers=NMC_COLUMNS, codes=("ccode",), key=("ccode", "year"),
    releases={"4.0": 2007, "5.0": 2012, "6.0": 2016, "7.0": 2022},
    rows={"6.0": 15951, "7.0": 17121},
    cite="Singer, Bremer & Stuckey (1972), 'Capability Distribution, Uncertainty, and Major "
         "Power War, 1820-1965', in Russett (ed.), Peace, War, and Numbers, 19-48; National "
         "Material Capabilities dataset (Correlates of War Project).",
    bibtex="@incollection{singer1972nmc,\n  author = {Singer, J. David and Bremer, Stuart and "
           "Stuckey, John},\n  title = {Capability Distribution, Uncertainty, and Major Power "
           "War, 1820-1965},\n  booktitle = {Peace, War, and Numbers},\n  editor = {Russett, "
           "Bruce},\n  publisher = {Sage},\n  address = {Beverly Hills},\n  year = {1972},\n"
           "  pages = {19--48},\n  note = {National Material Capabilities v{release}, Correlates "
           "of War Project}\n}",
    url="https://correlatesofwar.org/data-sets/national-material-capabilities/",
))

_COW_STATES_CITE = ("Correlates of War Project (2017), 'State System Membership List, v2016'. "
                    "http://correlatesofwar.org")
_COW_STATES_BIB = ("@misc{cow2017states,\n  author = {{Correlates of War Project}},\n  title = "
                   "{State System Membership List, v{release}},\n  year = {2017},\n  url = "
                   "{http://correlatesofwar.org}\n}")
_DATES = ("styear", "stmonth", "stday", "endyear", "endmonth", "endday")

_add(Kind(
    name="cow-states", table="cow_states", title="COW state system membership (state spells)",
    layouts=(Layout("COW states (stateabb, ccode, statenme, styear, ..., endday, version)",
                    ("stateabb", "ccode", "statenme", *_DATES, "version"),
                    {"ccode": "ccode", "stateabb": "stateabb", "statenme": "statenme",
                     **{c: c for c in _DATES}}, version_column="version"),),
    integers=("ccode", *_DATES), codes=("ccode",), key=("ccode", "styear", "stmonth", "stday"),
    year="endyear", releases={"2008": 2008, "2011": 2011, "2016": 2016},
    rows={"2016": 243}, cite=_COW_STATES_CITE, bibtex=_COW_STATES_BIB,
    url="https://correlatesofwar.org/data-sets/state-system-membership/",
))
_add(Kind(
    name="cow-system", table="cow_system", title="COW state system membership (state-years)",
    layouts=(Layout("COW system (stateabb, ccode, year, version)",
                    ("stateabb", "ccode", "year", "version"),
                    {"ccode": "ccode", "stateabb": "stateabb", "year": "year"},
                    version_column="version"),),
    integers=("ccode", "year"), codes=("ccode",), key=("ccode", "year"),
    releases={"2008": 2008, "2011": 2011, "2016": 2016}, rows={"2016": 15951},
    cite=_COW_STATES_CITE, bibtex=_COW_STATES_BIB,
    url="https://correlatesofwar.org/data-sets/state-system-membership/",
))
_add(Kind(
    name="cow-majors", table="cow_majors", title="COW major powers",
    layouts=(Layout("COW majors (stateabb, ccode, styear, ..., endday, version)",
                    ("stateabb", "ccode", *_DATES, "version"),
                    {"ccode": "ccode", "stateabb": "stateabb", **{c: c for c in _DATES}},
                    version_column="version"),),
    integers=("ccode", *_DATES), codes=("ccode",), key=("ccode", "styear"), year="endyear",
    releases={"2008": 2008, "2011": 2011, "2016": 2016}, rows={"2016": 14},
    cite=_COW_STATES_CITE, bibtex=_COW_STATES_BIB,
    url="https://correlatesofwar.org/data-sets/state-system-membership/",
))
_add(Kind(
    name="cow-codes", table="cow_codes", title="COW country codes",
    layouts=(Layout("COW country codes (StateAbb, CCode, StateNme)",
                    ("stateabb", "ccode", "statenme"),
                    {"ccode": "ccode", "stateabb": "stateabb", "statenme": "statenme"},
                    release="COW country codes"),),
    integers=("ccode",), codes=("ccode",), key=("ccode",), year="", rows={},
    deduplicate=True,
    cite=_COW_STATES_CITE, bibtex=_COW_STATES_BIB,
    url="https://correlatesofwar.org/data-sets/cow-country-codes-2/",
))

_ALLIANCE_DATES = ("all_st_year", "all_end_year", "mem_st_day", "mem_st_month", "mem_st_year",
                   "mem_end_day", "mem_end_month", "mem_end_year")
_add(Kind(
    name="cow-alliance", table="cow_alliance", title="COW Formal Alliances (member level)",
    layouts=(Layout("COW alliance_v4.x_by_member",
                    ("version4id", "ccode", "state_name", "all_st_year", "mem_st_year",
                     "mem_end_year", "ss_type", "defense", "neutrality", "nonaggression",
                     "entente", "version"),
                    {"version4id": "version4id", "ccode": "ccode", "state_name": "state_name",
                     **{c: c for c in _ALLIANCE_DATES}, "ss_type": "ss_type",
                     "defense": "defense", "neutrality": "neutrality",
                     "nonaggression": "nonaggression", "entente": "entente"},
                    version_column="version"),),
    integers=("version4id", "ccode", "all_st_year", "mem_st_year", "defense", "neutrality",
              "nonaggression", "entente"),
    numbers=("all_end_year", "mem_end_year", "mem_st_day", "mem_st_month", "mem_end_day",
             "mem_end_month"),
    codes=("ccode",), key=("version4id", "ccode", "mem_st_year", "mem_st_month", "mem_st_day"),
    year="mem_st_year", releases={"4.0": 2003, "4.1": 2012}, rows={"4.1": 1221},
    cite="Gibler, Douglas M. (2009), International Military Alliances, 1648-2008. CQ Press. "
         "Formal Alliances v4.1 (Correlates of War Project).",
    bibtex="@book{gibler2009alliances,\n  author = {Gibler, Douglas M.},\n  title = "
           "{International Military Alliances, 1648-2008},\n  publisher = {CQ Press},\n"
           "  address = {Washington, DC},\n  year = {2009},\n  note = {COW Formal Alliances "
           "v{release}}\n}",
    url="https://correlatesofwar.org/data-sets/formal-alliances/",
))

_ATOP_CITE = ("Leeds, Ritter, Mitchell & Long (2002), 'Alliance Treaty Obligations and "
              "Provisions, 1815-1944', International Interactions 28: 237-260; ATOP v{release}.")
_ATOP_BIB = ("@article{leeds2002atop,\n  author = {Leeds, Brett Ashley and Ritter, Jeffrey M. "
             "and Mitchell, Sara McLaughlin and Long, Andrew G.},\n  title = {Alliance Treaty "
             "Obligations and Provisions, 1815-1944},\n  journal = {International Interactions},"
             "\n  volume = {28},\n  pages = {237--260},\n  year = {2002},\n  note = {ATOP "
             "v{release}, http://www.atopdata.org}\n}")
_OBLIGATIONS = ("defense", "offense", "neutral", "nonagg", "consul")
# Provisions of the alliance-level file that the scenario builder reads (docs/data.md).
ATOP_PROVISIONS = ("conditio", "defcon", "offcon", "neucon", "concon", "conwtin", "milcon",
                   "milaid", "intcom", "subord",
                   "organ1", "base", "contrib", "specthrt", "interv", "medarb", "asymm",
                   "bilat", "active", "ineffect", "pubsecr")
# Conditions on the defence obligation, coded per member (ATOP codebook: adversary, location,
# conflict type, number of attackers, demand, non-provocation).
ATOP_DEFENCE_CONDITIONS = ("defcoadv", "defcoloc", "defcocon", "defconum", "defcodem", "defconpr")
_MEMBER_COLUMNS = ("atopid", "member", "phase", "yrent", "moent", "dayent", "yrexit", "moexit",
                   "dayexit", *_OBLIGATIONS, "conditio", *ATOP_DEFENCE_CONDITIONS)
_add(Kind(
    name="atop-members", table="atop_members", title="ATOP member level",
    layouts=(Layout("ATOP atop*_m (atopid, member, yrent, ..., version)",
                    (*_MEMBER_COLUMNS, "version"),
                    {"atopid": "atopid", "member": "member", "phase": "phase",
                     **{c: _num(c) for c in _MEMBER_COLUMNS[3:]}},
                    version_column="version"),),
    integers=("atopid", "member", "phase", "yrent"),
    numbers=_MEMBER_COLUMNS[4:],
    codes=("member",), code_max=99999, key=("atopid", "member", "phase", "yrent", "moent",
                                             "dayent"), year="yrent",
    first_year=1815, releases={"3.0": 2003, "4.01": 2016, "5.1": 2018},
    rows={"4.01": 2398}, cite=_ATOP_CITE, bibtex=_ATOP_BIB, url="http://www.atopdata.org",
))
_ALLIANCE_COLUMNS = ("atopid", "begyr", "endyr", *_OBLIGATIONS)
_add(Kind(
    name="atop-alliances", table="atop_alliances", title="ATOP alliance level (provisions)",
    layouts=(Layout("ATOP atop*_a (atopid, begyr, endyr, ..., version)",
                    (*_ALLIANCE_COLUMNS, *ATOP_PROVISIONS, "version"),
                    {"atopid": "atopid", "begyr": "begyr",
                     **{c: _num(c) for c in (*_ALLIANCE_COLUMNS[2:], *ATOP_PROVISIONS)}},
                    version_column="version"),),
    integers=("atopid", "begyr"), numbers=(*_ALLIANCE_COLUMNS[2:], *ATOP_PROVISIONS),
    key=("atopid",), year="begyr", first_year=1815,
    releases={"3.0": 2003, "4.01": 2016, "5.1": 2018}, rows={"4.01": 745},
    cite=_ATOP_CITE, bibtex=_ATOP_BIB, url="http://www.atopdata.org",
))
_DYAD = ("defense", "offense", "neutral", "nonagg", "consul")
_add(Kind(
    name="atop-dyads", table="atop_dyads", title="ATOP directed dyad-years",
    layouts=(
        Layout("ATOP atop*ddyr (ccode1, ccode2, year, atopally, defense, ...)",
               ("ccode1", "ccode2", "year", "atopally", *_DYAD),
               {"ccode1": "ccode1", "ccode2": "ccode2", "year": "year",
                **{c: c for c in _DYAD}}),
        Layout("peacesciencer atop_alliance (ccode1, ccode2, year, atop_defense, ...)",
               ("ccode1", "ccode2", "year", *(f"atop_{c}" for c in _DYAD)),
               {"ccode1": "ccode1", "ccode2": "ccode2", "year": "year",
                **{c: f"atop_{c}" for c in _DYAD}}, release="5.1"),
    ),
    integers=("ccode1", "ccode2", "year"), numbers=_DYAD, codes=("ccode1", "ccode2"),
    key=("ccode1", "ccode2", "year"), first_year=1815,
    releases={"4.01": 2016, "5.1": 2018}, rows={"5.1": 273296},
    cite=_ATOP_CITE, bibtex=_ATOP_BIB, url="http://www.atopdata.org",
))

_MID_CITE = ("Palmer, McManus, D'Orazio, Kenwick, Karstens, Bloch, Dietrich, Kahn, Ritter & "
             "Soules (2022), 'The MID5 Dataset, 2011-2014: Procedures, coding rules, and "
             "description', Conflict Management and Peace Science 39(4): 470-482 (MID 5.0); "
             "Palmer, D'Orazio, Kenwick & Lane (2015), CMPS 32(2): 222-242 (MID 4.x).")
_MID_BIB = ("@article{palmer2022mid5,\n  author = {Palmer, Glenn and McManus, Roseanne W. and "
            "D'Orazio, Vito and Kenwick, Michael R. and Karstens, Mikaela and Bloch, Chase and "
            "Dietrich, Nick and Kahn, Kayla and Ritter, Kellan and Soules, Michael J.},\n"
            "  title = {The {MID5} Dataset, 2011--2014: Procedures, Coding Rules, and "
            "Description},\n  journal = {Conflict Management and Peace Science},\n"
            "  volume = {39},\n  number = {4},\n  pages = {470--482},\n  year = {2022},\n"
            "  note = {Militarized Interstate Disputes v{release}}\n}")
_MIDB = ("ccode", "styear", "stmon", "stday", "endyear", "endmon", "endday", "sidea",
         "revstate", "fatality", "hiact", "hostlev", "orig")
_add(Kind(
    name="mid-participants", table="mid_participants", title="COW MID participants (MIDB)",
    layouts=(
        Layout("MIDB 5.0 (dispnum, stabb, ccode, ..., orig, version)",
               ("dispnum", *_MIDB, "version"),
               {"dispnum": "dispnum", **{c: _num(c) for c in _MIDB}},
               version_column="version"),
        Layout("MIDB 4.x (dispnum3, dispnum4, stabb, ccode, ..., version)",
               ("dispnum3", "dispnum4", *_MIDB, "version"),
               {"dispnum": "dispnum3", **{c: _num(c) for c in _MIDB}},
               version_column="version"),
    ),
    integers=("dispnum", "ccode", "styear", "sidea"),
    numbers=("stmon", "stday", "endyear", "endmon", "endday", "revstate", "fatality", "hiact",
             "hostlev", "orig"),
    codes=("ccode",), key=("dispnum", "ccode", "styear", "stmon", "stday"), year="styear",
    releases={"3.10": 2001, "4.01": 2010, "4.1": 2010, "4.2": 2010, "4.3": 2010, "5.0": 2014},
    rows={"4.2": 5511, "5.0": 5883}, cite=_MID_CITE, bibtex=_MID_BIB,
    url="https://correlatesofwar.org/data-sets/mids/",
))
_MIDA = ("styear", "stmon", "outcome", "settle", "fatality", "mindur", "maxdur", "hiact",
         "hostlev", "recip")
_add(Kind(
    name="mid-disputes", table="mid_disputes", title="COW MID disputes (MIDA)",
    layouts=(
        Layout("MIDA 4.x (dispnum3, dispnum4, stday, ..., version)",
               ("dispnum3", "dispnum4", *_MIDA, "numa", "numb", "version"),
               {"dispnum": "dispnum3", **{c: _num(c) for c in (*_MIDA, "numa", "numb")}},
               version_column="version"),
        Layout("MIDA 5.0 (dispnum, stday, ..., numa, numb, version)",
               ("dispnum", *_MIDA, "numa", "numb", "version"),
               {"dispnum": "dispnum", **{c: _num(c) for c in (*_MIDA, "numa", "numb")}},
               version_column="version"),
        Layout("peacesciencer cow_mid_disps (dispnum, styear, ..., recip)",
               ("dispnum", *_MIDA),
               {"dispnum": "dispnum", **{c: _num(c) for c in _MIDA}}, release="5.0"),
    ),
    integers=("dispnum", "styear"),
    numbers=("stmon", "outcome", "settle", "fatality", "mindur", "maxdur", "hiact", "hostlev",
             "recip"),
    key=("dispnum",), year="styear",
    releases={"3.10": 2001, "4.01": 2010, "4.2": 2010, "5.0": 2014},
    rows={"4.2": 2292, "5.0": 2436},
    cite=_MID_CITE, bibtex=_MID_BIB, url="https://correlatesofwar.org/data-sets/mids/",
))

_add(Kind(
    name="ideal-points", table="ideal_points",
    title="UN General Assembly ideal points (Bailey, Strezhnev & Voeten)",
    layouts=(
        Layout("year-based release (ccode, iso3c, year, idealpointall, idealpointfp, ...)",
               ("ccode", "iso3c", "year", "idealpointall"),
               {"ccode": "ccode", "iso3c": "iso3c", "year": "year",
                "idealpoint": "idealpointall", "nvotes": "nvotesall"}),
        Layout("session-based release (ccode, session, idealpointall, ...)",
               ("ccode", "session", "idealpointall"),
               {"ccode": "ccode", "iso3c": "NULL", "year": "CAST(session AS INTEGER) + 1945",
                "idealpoint": "idealpointall", "nvotes": "NULL"}),
    ),
    integers=("ccode", "year"), numbers=("idealpoint", "nvotes"), codes=("ccode",),
    key=("ccode", "year"), first_year=1946,
    releases={"2017": 2016, "2020": 2019, "2024": 2023, "July 2025": 2024},
    rows={"July 2025": 11440},
    cite="Bailey, Strezhnev & Voeten (2017), 'Estimating Dynamic State Preferences from United "
         "Nations Voting Data', Journal of Conflict Resolution 61(2): 430-456; data: Voeten, "
         "Strezhnev & Bailey, 'United Nations General Assembly Voting Data', Harvard Dataverse, "
         "hdl:1902.1/12379 ({release} release).",
    bibtex="@article{bailey2017idealpoints,\n  author = {Bailey, Michael A. and Strezhnev, "
           "Anton and Voeten, Erik},\n  title = {Estimating Dynamic State Preferences from "
           "United Nations Voting Data},\n  journal = {Journal of Conflict Resolution},\n"
           "  volume = {61},\n  number = {2},\n  pages = {430--456},\n  year = {2017},\n"
           "  note = {Ideal points, {release} release, Harvard Dataverse hdl:1902.1/12379}\n}",
    url="https://dataverse.harvard.edu/dataset.xhtml?persistentId=hdl:1902.1/12379",
))

_add(Kind(
    name="sipri", table="sipri_milex",
    title="SIPRI Military Expenditure Database (current US$ m, one column per year)",
    layouts=(Layout("wide (Country, 1949, 1950, ...)", ("country",),
                    {"country": "country"}, wide_years=True),),
    numbers=("milex_usd_m",), key=("country", "year"), first_year=1949,
    releases={"2019": 2018, "2020": 2019, "2021": 2020, "2022": 2021, "2023": 2022,
              "2024": 2023, "2025": 2024},
    cite="SIPRI Military Expenditure Database ({release} edition), Stockholm International "
         "Peace Research Institute, https://www.sipri.org/databases/milex",
    bibtex="@misc{sipri_milex,\n  author = {{Stockholm International Peace Research "
           "Institute}},\n  title = {{SIPRI} Military Expenditure Database},\n  year = "
           "{release},\n  url = {https://www.sipri.org/databases/milex}\n}",
    url="https://www.sipri.org/databases/milex",
))

_BF = ("atopid", "cowwarid", "warname", "cowid", "honorbf", "violatebf", "honorllm",
       "violatellm", "defense", "offense", "neutral", "nonagg", "consul")
_add(Kind(
    name="reliability-bf2018", table="reliability_bf2018",
    title="Alliance fulfilment in war: Berkemeier & Fuhrmann 2018 beside Leeds, Long & "
          "Mitchell 2000",
    layouts=(Layout("Berkemeier & Fuhrmann RAP 2018 (atopid, cowwarid, honorBF, honorLLM, ...)",
                    ("sample", "warid", *_BF),
                    {"sample": "sample", "warid": "warid", "atopid": "atopid",
                     "cowwarid": "cowwarid", "warname": "warname", "cowid": "cowid",
                     **{c: c for c in _BF[4:]}}, release="2018-03-03"),),
    integers=("warid",), numbers=("sample", "atopid", "cowwarid", "cowid", *_BF[4:]),
    key=(), year="", rows={"2018-03-03": 576},
    cite="Berkemeier & Fuhrmann (2018), 'Reassessing the Fulfillment of Alliance Commitments "
         "in War', Research & Politics 5(2); Leeds, Long & Mitchell (2000), 'Reevaluating "
         "Alliance Reliability', Journal of Conflict Resolution 44(5): 686-699 (LLM columns).",
    bibtex="@article{berkemeier2018fulfillment,\n  author = {Berkemeier, Molly and Fuhrmann, "
           "Matthew},\n  title = {Reassessing the Fulfillment of Alliance Commitments in War},\n"
           "  journal = {Research \\& Politics},\n  volume = {5},\n  number = {2},\n"
           "  year = {2018}\n}\n@article{leeds2000reliability,\n  author = {Leeds, Brett Ashley "
           "and Long, Andrew G. and Mitchell, Sara McLaughlin},\n  title = {Reevaluating "
           "Alliance Reliability: Specific Threats, Specific Promises},\n  journal = {Journal "
           "of Conflict Resolution},\n  volume = {44},\n  number = {5},\n  pages = "
           "{686--699},\n  year = {2000}\n}",
    url="https://journals.sagepub.com/doi/10.1177/2053168018799117",
))
_LA = ("war", "atopid", "ccode1", "honor2", "honor3")
_add(Kind(
    name="reliability-leeds-anac", table="reliability_leeds_anac",
    title="Alliance fulfilment by member and war (Leeds & Anac 2005 replication)",
    layouts=(Layout("Leeds & Anac 2005 (war, atopid, ccode1, honor2, honor3, ...)",
                    (*_LA, "milinst"), {**{c: c for c in _LA}, "milinst": "milinst"},
                    release="2005"),),
    integers=("war", "atopid", "ccode1"), numbers=("honor2", "honor3", "milinst"),
    codes=("ccode1",), key=(), year="", rows={"2005": 137},
    cite="Leeds & Anac (2005), 'Alliance Institutionalization and Alliance Performance', "
         "International Interactions 31(3): 183-202.",
    bibtex="@article{leeds2005institutionalization,\n  author = {Leeds, Brett Ashley and Anac, "
           "Sezi},\n  title = {Alliance Institutionalization and Alliance Performance},\n"
           "  journal = {International Interactions},\n  volume = {31},\n  number = {3},\n"
           "  pages = {183--202},\n  year = {2005}\n}",
))


def kind_names() -> list[str]:
    return list(KINDS)
