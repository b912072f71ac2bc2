"""The demo content that ``manage.py seed_demo`` writes.

Every word here was written for Pressimus. Real outlets appear as the *names* of
quoted sources so that the demo looks like the press it imitates, but each quoted
passage, figure and article address is invented: none of them is a statement
those outlets made. The Arden Valley, its towns and its people do not exist.
"""

# The Russian originals are meant to be in Cyrillic.
# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from streams.models import Membership, Source, Stream

DEMO_PASSWORD = "pressimus-demo"


@dataclass(frozen=True)
class PublisherSpec:
    slug: str
    name: str
    description: str
    website: str


@dataclass(frozen=True)
class AccountSpec:
    email: str
    display_name: str
    handle: str
    bio: str
    duty: str
    is_staff: bool = False
    is_superuser: bool = False
    publisher: str = ""
    role: str = ""
    groups: tuple[str, ...] = ()
    """Groups the account joins when they exist (another app's data migration makes them)."""


@dataclass(frozen=True)
class SourceSpec:
    slug: str
    name: str
    kind: str
    home_page: str
    description: str


@dataclass(frozen=True)
class Quote:
    """A quoted passage; ``body`` is in English, ``original`` the text as published."""

    source: str
    body: str
    cited_url: str
    original: str = ""
    original_language: str = ""


@dataclass(frozen=True)
class EntrySpec:
    """One entry; ``blocks`` are the writer's HTML (a str) or a Quote, in order."""

    minute: int
    title: str
    blocks: tuple[str | Quote, ...]
    bylines: tuple[str, ...]
    pinned: bool = False
    correction: str = ""
    corrected_after: int = 0


@dataclass(frozen=True)
class FollowSpec:
    """A demo account following a stream (by slug) or a whole publisher (by slug)."""

    email: str
    stream: str = ""
    publisher: str = ""


@dataclass(frozen=True)
class StreamSpec:
    publisher: str
    slug: str
    title: str
    summary: str
    status: str
    start: datetime | timedelta
    """An absolute time, or how long before the seeding the stream started."""
    entries: tuple[EntrySpec, ...]
    duration: int = 0
    """For an ended stream: minutes from its start to its end."""
    visibility: str = Stream.Visibility.PUBLIC

    def started_at(self, now: datetime) -> datetime:
        return self.start if isinstance(self.start, datetime) else now - self.start

    def ended_at(self, now: datetime) -> datetime | None:
        if self.status != Stream.Status.ENDED:
            return None
        return self.started_at(now) + timedelta(minutes=self.duration)


TRANSLATORS_DESK = "translators-desk"
HARBOUR_LIGHT = "harbour-light"

PUBLISHERS = (
    PublisherSpec(
        slug=TRANSLATORS_DESK,
        name="The Translator's Desk",
        description=(
            "Russian-to-English translation journal, with original analysis and commentary "
            "on Russia's foreign & domestic policy."
        ),
        website="https://translatorsdesk.example/",
    ),
    PublisherSpec(
        slug=HARBOUR_LIGHT,
        name="Harbour Light Collective",
        description=(
            "A reader-funded news collective covering the Arden Valley and its coast: "
            "councils, courts, weather and the people who live with all three."
        ),
        website="https://harbourlight.example/",
    ),
)

ADMIN = "admin@pressimus.test"
STAFF = "staff@pressimus.test"
EDITOR = "editor@pressimus.test"
EDITOR2 = "editor2@pressimus.test"
WRITER = "writer@pressimus.test"
READER = "reader@pressimus.test"

ACCOUNTS = (
    AccountSpec(
        email=ADMIN,
        display_name="Pressimus Admin",
        handle="pressimus-admin",
        bio="Keeps the lights on.",
        duty="superuser",
        is_staff=True,
        is_superuser=True,
    ),
    AccountSpec(
        email=STAFF,
        display_name="Priya Raman",
        handle="priya-raman",
        bio="Looks after the Pressimus community: reads every invitation request.",
        duty="staff: reviews invitation requests",
        is_staff=True,
        groups=("Reviewers",),
    ),
    AccountSpec(
        email=EDITOR,
        display_name="Nadia Orlova",
        handle="nadia-orlova",
        bio=(
            "Editor of The Translator's Desk. Translates from Russian and Ukrainian; "
            "writes about Moscow's foreign policy and the language it is told in."
        ),
        duty="editor of The Translator's Desk",
        is_staff=True,
        publisher=TRANSLATORS_DESK,
        role=Membership.Role.EDITOR,
    ),
    AccountSpec(
        email=EDITOR2,
        display_name="Maeve Gallagher",
        handle="maeve-gallagher",
        bio="Editor at Harbour Light Collective. Twenty years on the Arden Valley beat.",
        duty="editor of Harbour Light Collective",
        is_staff=True,
        publisher=HARBOUR_LIGHT,
        role=Membership.Role.EDITOR,
    ),
    AccountSpec(
        email=WRITER,
        display_name="Tom Ashworth",
        handle="tom-ashworth",
        bio=(
            "Writer and translator at The Translator's Desk. Reads Russian state media "
            "so that you don't have to."
        ),
        duty="writer of The Translator's Desk",
        is_staff=True,
        publisher=TRANSLATORS_DESK,
        role=Membership.Role.WRITER,
    ),
    AccountSpec(
        email=READER,
        display_name="Rui Costa",
        handle="rui-costa",
        bio="Follows the live streams on the morning train.",
        duty="signed-in member: follows a stream and a publisher, reads members-only streams",
    ),
)

K = Source.Kind

SOURCES = (
    SourceSpec(
        "amnesty-international",
        "Amnesty International",
        K.NGO,
        "https://www.amnesty.org/",
        "International human rights organisation.",
    ),
    SourceSpec(
        "human-rights-watch",
        "Human Rights Watch",
        K.NGO,
        "https://www.hrw.org/",
        "International human rights organisation.",
    ),
    SourceSpec(
        "sputnik",
        "Sputnik",
        K.STATE_MEDIA,
        "https://sputnikglobe.com/",
        "Russian state-owned news agency and radio broadcaster for foreign audiences.",
    ),
    SourceSpec(
        "tass",
        "TASS",
        K.STATE_MEDIA,
        "https://tass.ru/",
        "Russian state news agency.",
    ),
    SourceSpec(
        "russian-ministry-of-defence",
        "Russian Ministry of Defence",
        K.MILITARY,
        "https://mil.ru/",
        "The Ministry of Defence of the Russian Federation.",
    ),
    SourceSpec(
        "russian-foreign-ministry",
        "Russian Foreign Ministry",
        K.GOVERNMENT,
        "https://mid.ru/",
        "The Ministry of Foreign Affairs of the Russian Federation.",
    ),
    SourceSpec(
        "al-jazeera",
        "Al Jazeera",
        K.BROADCASTER,
        "https://www.aljazeera.com/",
        "Qatar-based international broadcaster.",
    ),
    SourceSpec(
        "reuters",
        "Reuters",
        K.NEWS_AGENCY,
        "https://www.reuters.com/",
        "International news agency.",
    ),
    SourceSpec(
        "kommersant",
        "Kommersant",
        K.NEWSPAPER,
        "https://www.kommersant.ru/",
        "Moscow business daily.",
    ),
    SourceSpec(
        "sana",
        "SANA",
        K.STATE_MEDIA,
        "https://sana.sy/",
        "Syrian Arab News Agency, the Syrian state news agency.",
    ),
    SourceSpec(
        "institute-for-the-study-of-war",
        "Institute for the Study of War",
        K.RESEARCH,
        "https://www.understandingwar.org/",
        "Washington-based think tank that maps military operations.",
    ),
    SourceSpec(
        "arden-valley-council",
        "Arden Valley Council",
        K.GOVERNMENT,
        "https://www.ardenvalley-council.example/",
        "The local authority for the Arden Valley.",
    ),
    SourceSpec(
        "rivers-and-coast-agency",
        "Rivers and Coast Agency",
        K.GOVERNMENT,
        "https://riversandcoast.example/",
        "The national body that issues flood warnings and manages river defences.",
    ),
    SourceSpec(
        "arden-sound-radio",
        "Arden Sound Radio",
        K.BROADCASTER,
        "https://ardensound.example/",
        "Community radio station for the valley and the coast.",
    ),
    SourceSpec(
        "valley-mutual-aid",
        "Valley Mutual Aid Network",
        K.NGO,
        "https://valleymutualaid.example/",
        "Volunteer network that organises food, shelter and clean-up help.",
    ),
    SourceSpec(
        "arden-fire-and-rescue",
        "Arden Fire & Rescue",
        K.SOCIAL,
        "https://social.example/@ArdenFireRescue",
        "The fire and rescue service's public social media account.",
    ),
)

# Guest writers, bylined by name without a profile.
DANIEL_HARTLEY = "Daniel Hartley"
LEILA_HADDAD = "Leila Haddad"
ELENA_MARSH = "Elena Marsh"
OWEN_PRITCHARD = "Owen Pritchard"
SOFIA_BRANDT = "Sofia Brandt"
RUTH_OKAFOR = "Ruth Okafor"
CALLUM_REID = "Callum Reid"

SYRIA = StreamSpec(
    publisher=TRANSLATORS_DESK,
    slug="syria-november-9-2015",
    title="Syria: November 9, 2015",
    summary=(
        "Russia's air campaign in Syria enters its sixth week. We translate the Defence "
        "Ministry's briefings, set them beside reports from the ground and check one "
        "against the other."
    ),
    status=Stream.Status.ENDED,
    start=datetime(2015, 11, 9, 5, 45, tzinfo=UTC),
    duration=18 * 60,
    entries=(
        EntrySpec(
            minute=0,
            title="Our Live Coverage Resumes: What We Are Watching Today",
            blocks=(
                "<p>Good morning. We are back with a day of translation and analysis of "
                "Russia's military operation in Syria. Today we are watching:</p>"
                "<ul><li>the Defence Ministry's morning and evening briefings, which we "
                "translate in full;</li><li>reports of strikes in Idlib province, and "
                "whether anyone can say whose aircraft flew them;</li><li>what Moscow's "
                "diplomats say about the talks planned for the end of the week.</li></ul>",
                Quote(
                    source="institute-for-the-study-of-war",
                    body=(
                        "<p>Russian air operations over the past week have remained "
                        "concentrated on opposition-held terrain in northern Hama, Idlib and "
                        "the Latakia mountains, rather than on areas held by the Islamic "
                        "State. The pattern is consistent with a campaign to secure the "
                        "regime's core territory first.</p>"
                    ),
                    cited_url=(
                        "https://www.understandingwar.org/backgrounder/"
                        "russian-air-operations-week-six-assessment"
                    ),
                ),
                "<p>That assessment matches what we saw in last week's briefings, and it "
                "is the question to keep in mind when the ministry lists its targets.</p>",
            ),
            bylines=(EDITOR,),
        ),
        EntrySpec(
            minute=35,
            title="Defence Ministry Claims 94 Targets Hit Overnight",
            blocks=(
                "<p>The ministry's morning briefing, translated in full:</p>",
                Quote(
                    source="russian-ministry-of-defence",
                    body=(
                        "<p>Over the past twenty-four hours, Su-24M and Su-34 aircraft of the "
                        "air group in Syria flew 71 combat sorties and struck 94 facilities of "
                        "terrorist infrastructure in the provinces of Hama, Idlib, Latakia "
                        "and Aleppo. Strikes are carried out only against reconnoitred "
                        "targets located away from populated areas.</p>"
                    ),
                    original=(
                        "<p>За прошедшие сутки самолёты Су-24М и Су-34 авиагруппы в Сирии "
                        "выполнили 71 боевой вылет и поразили 94 объекта террористической "
                        "инфраструктуры в провинциях Хама, Идлиб, Латакия и Алеппо. Удары "
                        "наносятся только по разведанным целям, удалённым от населённых "
                        "пунктов.</p>"
                    ),
                    original_language="ru",
                    cited_url="https://mil.ru/news/brifing-ob-operatsii-v-sirii-9-noyabrya",
                ),
                "<p>As on every day this month, the briefing names provinces but not a "
                "single town or village, which makes its claims impossible to check. Note "
                "also the phrase <em>away from populated areas</em>: it has appeared in every "
                "briefing since the first week of October.</p>",
            ),
            bylines=(WRITER,),
        ),
        EntrySpec(
            minute=80,
            title="Witnesses Describe Strikes on a Village Market in Idlib Province",
            blocks=(
                "<p>The first reports from the ground this morning contradict the "
                "ministry's account.</p>",
                Quote(
                    source="al-jazeera",
                    body=(
                        "<p>Residents said two aircraft circled for several minutes before "
                        "the strikes, which hit a row of shops and a bakery that had opened at "
                        "dawn. Volunteers with the local civil defence said they had pulled "
                        "at least nine people from the rubble by mid-morning.</p>"
                    ),
                    cited_url=(
                        "https://www.aljazeera.com/news/2015/11/9/"
                        "witnesses-describe-dawn-strikes-on-idlib-village-market"
                    ),
                ),
                "<p>We have not been able to establish which air force carried out these "
                "strikes. Both Russian and Syrian aircraft fly over this part of Idlib, and "
                "neither government names locations at this level of detail.</p>",
            ),
            bylines=(DANIEL_HARTLEY,),
        ),
        EntrySpec(
            minute=150,
            title="Sputnik: Russian Strikes Hit “No Civilian Targets”",
            blocks=(
                Quote(
                    source="sputnik",
                    body=(
                        "<p>Russian aircraft in Syria strike only targets that have been "
                        "identified and confirmed through several intelligence channels, a "
                        "military source told Sputnik, describing reports of civilian deaths "
                        "as part of an information war against Russia.</p>"
                    ),
                    cited_url=(
                        "https://sputnikglobe.com/middleeast/"
                        "military-source-dismisses-civilian-casualty-reports"
                    ),
                ),
                "<p>The “military source” is anonymous, as it was on the three previous "
                "occasions Sputnik carried an almost identical denial. The ministry itself "
                "has not commented on the reports from Idlib.</p>",
            ),
            bylines=(WRITER,),
        ),
        EntrySpec(
            minute=230,
            title="Amnesty International Challenges Moscow's Denials",
            blocks=(
                "<p>Amnesty International has published a statement on the strikes of the "
                "past week. An excerpt:</p>",
                Quote(
                    source="amnesty-international",
                    body=(
                        "<p>Our researchers have spoken to survivors, medical workers and "
                        "witnesses of strikes on residential areas in Idlib and Hama. Their "
                        "accounts are consistent with each other and with photographs of the "
                        "aftermath. We call on all parties to the conflict to stop attacks "
                        "on civilians and to allow independent investigators access.</p>"
                    ),
                    cited_url=(
                        "https://www.amnesty.org/en/latest/news/2015/11/"
                        "syria-witnesses-describe-strikes-on-residential-areas"
                    ),
                ),
                "<p>The Foreign Ministry answered within the hour. Its spokeswoman's reply, "
                "translated:</p>",
                Quote(
                    source="russian-foreign-ministry",
                    body=(
                        "<p>We have said more than once that such “reports” are built on posts "
                        "from social networks and on the testimony of people nobody has ever "
                        "seen. There is not one verifiable fact in them.</p>"
                    ),
                    original=(
                        "<p>Мы уже неоднократно говорили, что подобные «доклады» строятся на "
                        "сообщениях из социальных сетей и на показаниях людей, которых никто "
                        "никогда не видел. Ни одного проверяемого факта в них нет.</p>"
                    ),
                    original_language="ru",
                    cited_url="https://mid.ru/ru/press_service/brifing-ofitsialnogo-predstavitelya",
                ),
                "<p>Amnesty's statement gives the dates and the provinces of the strikes "
                "it describes. The ministry's briefings give neither.</p>",
            ),
            bylines=(EDITOR, DANIEL_HARTLEY),
        ),
        EntrySpec(
            minute=310,
            title="What Syrian State Media Is Saying",
            blocks=(
                "<p>Syria's state news agency reports advances on the ground, in Arabic "
                "only. Our translation:</p>",
                Quote(
                    source="sana",
                    body=(
                        "<p>Units of the Syrian Arab Army carried out intensive operations in "
                        "the northern Latakia countryside and tightened their control over a "
                        "number of hills and villages after eliminating numbers of "
                        "terrorists.</p>"
                    ),
                    original=(
                        "<p>نفذت وحدات من الجيش العربي السوري عمليات مكثفة في ريف اللاذقية "
                        "الشمالي، وأحكمت سيطرتها على عدد من التلال والقرى بعد القضاء على "
                        "أعداد من الإرهابيين.</p>"
                    ),
                    original_language="ar",
                    cited_url="https://sana.sy/?p=demo-latakia-countryside-operations",
                ),
                "<p>As usual, SANA names no villages, and “numbers of terrorists” is a "
                "stock phrase rather than a count.</p>",
            ),
            bylines=(LEILA_HADDAD,),
        ),
        EntrySpec(
            minute=420,
            title="Human Rights Watch Asks About Cluster Munitions",
            blocks=(
                Quote(
                    source="human-rights-watch",
                    body=(
                        "<p>Photographs and video posted online over the past week appear to "
                        "show the remnants of cluster munitions in at least two places in "
                        "northern Syria. Neither Syria nor Russia has joined the Convention on "
                        "Cluster Munitions, but both should stop using a weapon that kills "
                        "and maims civilians long after an attack.</p>"
                    ),
                    cited_url=(
                        "https://www.hrw.org/news/2015/11/09/"
                        "syria-questions-over-cluster-munition-remnants"
                    ),
                ),
                "<p>We have matched the landscape in one of the two videos to satellite "
                "imagery of a hillside in southern Idlib. We could not place the other. "
                'The text of the treaty is on the <a href="https://www.clusterconvention.org/">'
                "convention's website</a>.</p>",
            ),
            bylines=(WRITER, ELENA_MARSH),
        ),
        EntrySpec(
            minute=560,
            title="Kommersant Puts a Price on the Campaign",
            blocks=(
                "<p>The business daily has tried to estimate what the operation costs. "
                "Translated:</p>",
                Quote(
                    source="kommersant",
                    body=(
                        "<p>By Kommersant's calculations, based on open data, the operation in "
                        "Syria costs the budget roughly 150 million roubles a day. The Defence "
                        "Ministry declined to comment on the figures.</p>"
                    ),
                    original=(
                        "<p>По подсчётам «Ъ», сделанным на основе открытых данных, операция в "
                        "Сирии обходится бюджету примерно в 150 млн руб. в сутки. В "
                        "Минобороны эти подсчёты комментировать отказались.</p>"
                    ),
                    original_language="ru",
                    cited_url="https://www.kommersant.ru/doc/demo-tsena-siriyskoy-operatsii",
                ),
                "<p>The estimate counts fuel, munitions and flight hours. It leaves out the "
                "cost of the naval group and of the supply flights, so the real figure is "
                "almost certainly higher.</p>",
            ),
            bylines=(EDITOR,),
            correction=(
                "An earlier version of this entry gave Kommersant's estimate as 1.5 billion "
                "roubles a day. The estimate is 150 million roubles a day: we misplaced a "
                "decimal point in translation."
            ),
            corrected_after=45,
        ),
        EntrySpec(
            minute=1040,
            title="Evening Briefing: Same Figures, New Video",
            blocks=(
                "<p>The evening briefing repeated the morning's numbers and added a video "
                "of a strike on what it called an ammunition depot. A reporter on a "
                "government-organised trip saw this at the air base:</p>",
                Quote(
                    source="reuters",
                    body=(
                        "<p>Jets took off from the base at intervals of roughly twenty minutes "
                        "through the afternoon, some carrying bombs under both wings. Officers "
                        "declined to say where the aircraft were heading.</p>"
                    ),
                    cited_url=("https://www.reuters.com/article/demo-syria-russia-airbase-visit"),
                ),
            ),
            bylines=(WRITER,),
        ),
        EntrySpec(
            minute=1050,
            title="That's All for Today",
            blocks=(
                "<p>We are closing today's stream. The short version:</p>"
                "<ol><li>The ministry claims 94 targets hit, names no places, and says "
                "again that it strikes away from populated areas.</li><li>Witnesses in "
                "Idlib describe a strike on a market at dawn; nobody has said whose "
                "aircraft it was.</li><li>Amnesty and Human Rights Watch ask questions "
                "that Moscow answers with denials, not with dates and places.</li></ol>",
                Quote(
                    source="tass",
                    body=(
                        "<p>The operation of the Russian Aerospace Forces in Syria will "
                        "continue for as long as the Syrian army's offensive continues, a "
                        "source in the Defence Ministry told TASS.</p>"
                    ),
                    cited_url="https://tass.com/defense/demo-operation-to-continue",
                ),
                "<p>We will be back tomorrow morning.</p>",
            ),
            bylines=(EDITOR,),
        ),
    ),
)

DUMA = StreamSpec(
    publisher=TRANSLATORS_DESK,
    slug="duma-budget-debate-live",
    title="The Duma Debates the Budget: Live",
    summary=(
        "Russia's parliament reads the three-year federal budget for the first time. We "
        "translate the debate, the figures and what the press makes of them."
    ),
    status=Stream.Status.LIVE,
    start=timedelta(hours=14),
    entries=(
        EntrySpec(
            minute=0,
            title="Deputies Gather for the First Reading",
            blocks=(
                "<p>The State Duma meets today to read the federal budget for the first "
                "time. State media set the scene:</p>",
                Quote(
                    source="tass",
                    body=(
                        "<p>Today the State Duma will consider in its first reading the draft "
                        "federal budget for the next financial year and the planning period. "
                        "Spending on national defence and security will again be the largest "
                        "item.</p>"
                    ),
                    original=(
                        "<p>Государственная дума сегодня рассмотрит в первом чтении проект "
                        "федерального бюджета на очередной финансовый год и плановый период. "
                        "Расходы на национальную оборону и безопасность вновь станут "
                        "крупнейшей статьёй.</p>"
                    ),
                    original_language="ru",
                    cited_url="https://tass.ru/ekonomika/demo-duma-byudzhet-pervoe-chtenie",
                ),
                "<p>A first reading approves the budget's overall size. The fights over "
                "who gets what come at the second reading, in a few weeks.</p>",
            ),
            bylines=(EDITOR,),
        ),
        EntrySpec(
            minute=80,
            title="The Finance Ministry Presents Its Numbers",
            blocks=(
                Quote(
                    source="tass",
                    body=(
                        "<p>The budget remains sustainable: the deficit stays within safe "
                        "limits, and all of the state's social obligations will be met in full, "
                        "the Finance Ministry said.</p>"
                    ),
                    original=(
                        "<p>Бюджет сохраняет устойчивость: дефицит остаётся в безопасных "
                        "пределах, а все социальные обязательства государства будут "
                        "выполнены в полном объёме, заявили в Министерстве финансов.</p>"
                    ),
                    original_language="ru",
                    cited_url="https://tass.ru/ekonomika/demo-minfin-byudzhet-ustoychiv",
                ),
                "<p>The presentation gave totals for each section of the budget but no "
                "breakdown of the classified lines, which deputies see only in a closed "
                "annex.</p>",
            ),
            bylines=(WRITER,),
        ),
        EntrySpec(
            minute=180,
            title="How Much of the Budget Is Secret?",
            blocks=(
                "<p>Each year a larger share of spending is classified. Kommersant has "
                "done the arithmetic:</p>",
                Quote(
                    source="kommersant",
                    body=(
                        "<p>By Kommersant's calculations, classified items make up more than a "
                        "fifth of all spending in the draft budget.</p>"
                    ),
                    original=(
                        "<p>Доля закрытых статей в проекте бюджета, по расчётам «Ъ», "
                        "превышает пятую часть всех расходов.</p>"
                    ),
                    original_language="ru",
                    cited_url="https://www.kommersant.ru/doc/demo-zakrytye-stati-byudzheta",
                ),
                "<p>What the closed lines usually cover:</p><ul><li>most of the "
                "procurement of weapons;</li><li>the security services;</li><li>a growing "
                "part of spending on the regions annexed by Russia.</li></ul>",
            ),
            bylines=(WRITER, OWEN_PRITCHARD),
        ),
        EntrySpec(
            minute=300,
            title="Two Factions Object to Cuts in Regional Health Funding",
            blocks=(
                Quote(
                    source="reuters",
                    body=(
                        "<p>Deputies from two factions said they would vote against the bill, "
                        "citing lower transfers to the regions for healthcare and road "
                        "building. Their votes are not enough to stop it.</p>"
                    ),
                    cited_url="https://www.reuters.com/world/europe/demo-duma-budget-objections",
                ),
                "<p>Objections at the first reading are common and rarely change anything. "
                "Watch instead for amendments on regional transfers before the second "
                "reading.</p>",
            ),
            bylines=(EDITOR,),
        ),
        EntrySpec(
            minute=420,
            title="Markets Watch the Deficit Figure",
            blocks=(
                "<p>Outside the chamber, investors care about one number.</p>",
                Quote(
                    source="reuters",
                    body=(
                        "<p>Analysts said the planned deficit looked achievable only if oil "
                        "prices held at current levels, and that the ministry had again "
                        "assumed a stronger rouble than the market expects.</p>"
                    ),
                    cited_url="https://www.reuters.com/markets/demo-russia-budget-deficit-oil",
                ),
            ),
            bylines=(SOFIA_BRANDT,),
        ),
        EntrySpec(
            minute=540,
            title="Budget Passes Its First Reading",
            blocks=(
                "<p>As expected, the budget has passed.</p>",
                Quote(
                    source="tass",
                    body=(
                        "<p>325 deputies voted to adopt the bill in the first reading, 84 "
                        "voted against, and there were no abstentions.</p>"
                    ),
                    original=(
                        "<p>За принятие законопроекта в первом чтении проголосовали 325 "
                        "депутатов, против — 84, воздержавшихся нет.</p>"
                    ),
                    original_language="ru",
                    cited_url="https://tass.ru/politika/demo-duma-prinyala-byudzhet",
                ),
                "<p>The 84 votes against are the most a budget has drawn at a first reading "
                "in years, though still far short of the 226 needed to block it.</p>",
            ),
            bylines=(EDITOR, WRITER),
            pinned=True,
        ),
        EntrySpec(
            minute=660,
            title="What Happens Before the Second Reading",
            blocks=(
                Quote(
                    source="kommersant",
                    body=(
                        "<p>Amendments for the second reading may be submitted within 15 days. "
                        "The main disputes, according to Kommersant's sources in the Duma, will "
                        "be over transfers to the regions.</p>"
                    ),
                    original=(
                        "<p>Поправки ко второму чтению можно внести в течение 15 дней. "
                        "Основные споры, по словам собеседников «Ъ» в Думе, развернутся "
                        "вокруг трансфертов регионам.</p>"
                    ),
                    original_language="ru",
                    cited_url="https://www.kommersant.ru/doc/demo-popravki-ko-vtoromu-chteniyu",
                ),
                "<p>Governors lobby hardest in this window. We will follow the amendments "
                "as they are filed.</p>",
            ),
            bylines=(WRITER,),
            correction=(
                "This entry first said amendments could be filed within 30 days. The period "
                "is 15 days."
            ),
            corrected_after=40,
        ),
        EntrySpec(
            minute=800,
            title="Governors React",
            blocks=(
                Quote(
                    source="tass",
                    body=(
                        "<p>Several regional governors said the draft provided enough money "
                        "for their obligations and expressed confidence that questions over "
                        "road funding would be settled in the second reading.</p>"
                    ),
                    cited_url="https://tass.com/economy/demo-governors-welcome-draft-budget",
                ),
                "<p>Public praise, private lobbying: the governors who spoke are among those "
                "whose road funds fall furthest under the draft.</p>",
            ),
            bylines=(OWEN_PRITCHARD,),
        ),
        EntrySpec(
            minute=837,
            title="The Chamber Adjourns",
            blocks=(
                "<p>The session is over. The Federation Council, the upper house, will "
                "see the budget only after its third reading.</p>",
                Quote(
                    source="al-jazeera",
                    body=(
                        "<p>The vote came as ordinary Russians face rising prices for food "
                        "and services, a concern that several deputies raised in the "
                        "debate.</p>"
                    ),
                    cited_url="https://www.aljazeera.com/economy/demo-russia-parliament-budget-vote",
                ),
                "<p>This stream stays open: we will add the amendments as they arrive.</p>",
            ),
            bylines=(EDITOR,),
        ),
    ),
)

FLOODS = StreamSpec(
    publisher=HARBOUR_LIGHT,
    slug="arden-valley-floods",
    title="Arden Valley Floods",
    summary=(
        "The River Arden has burst its banks after two days of rain. Warnings, closures, "
        "rest centres and how to help, as we learn them."
    ),
    status=Stream.Status.LIVE,
    start=timedelta(hours=30),
    entries=(
        EntrySpec(
            minute=0,
            title="Severe Flood Warnings for the Lower Arden",
            blocks=(
                "<p>The national flood agency has issued its highest level of warning for "
                "the river between Millbrook and the estuary.</p>",
                Quote(
                    source="rivers-and-coast-agency",
                    body=(
                        "<p>Severe flood warnings are in force for the Lower Arden between "
                        "Millbrook and the estuary. River levels at Ferry Bridge are rising "
                        "quickly and may pass those of 2007 overnight. There is a danger to "
                        "life: act now.</p>"
                    ),
                    cited_url="https://riversandcoast.example/warnings/lower-arden",
                ),
                "<p>If you live on the Quayside, in Lower Millbrook or along the Caldwick "
                "road, move valuables upstairs and be ready to leave.</p>",
            ),
            bylines=(EDITOR2,),
        ),
        EntrySpec(
            minute=75,
            title="Rest Centres Open in Millbrook and Caldwick",
            blocks=(
                Quote(
                    source="arden-valley-council",
                    body=(
                        "<p>Rest centres are open at Millbrook Leisure Centre and Caldwick "
                        "Community Hall. Please bring medication, phone chargers and warm "
                        "clothes. Pets are welcome at both.</p>"
                    ),
                    cited_url="https://www.ardenvalley-council.example/news/rest-centres-open",
                ),
                "<p>The council says both centres have beds for the night. The leisure "
                "centre car park is above the flood line; the hall's is not.</p>",
            ),
            bylines=(RUTH_OKAFOR,),
        ),
        EntrySpec(
            minute=180,
            title="Boat Rescues on Quay Street",
            blocks=(
                "<p>Firefighters are using boats in the old town.</p>",
                Quote(
                    source="arden-fire-and-rescue",
                    body=(
                        "<p>Crews with two boats have moved 14 people from ground-floor flats "
                        "on Quay Street. Please don't drive through flood water: 30cm of "
                        "moving water is enough to float a car.</p>"
                    ),
                    cited_url="https://social.example/@ArdenFireRescue/posts/demo-quay-street",
                ),
            ),
            bylines=(EDITOR2,),
        ),
        EntrySpec(
            minute=420,
            title="Ferry Bridge Closed in Both Directions",
            blocks=(
                Quote(
                    source="arden-sound-radio",
                    body=(
                        "<p>Police have closed Ferry Bridge after debris built up against its "
                        "upstream side. Drivers heading for the coast road are being sent via "
                        "Hollins Lane, which adds about forty minutes.</p>"
                    ),
                    cited_url="https://ardensound.example/news/ferry-bridge-closed",
                ),
                "<p>Buses on the 12 and 12A routes are terminating at Millbrook "
                "station until further notice.</p>",
            ),
            bylines=(RUTH_OKAFOR,),
            correction="This entry first gave the diversion as Holmes Lane. It is Hollins Lane.",
            corrected_after=25,
        ),
        EntrySpec(
            minute=700,
            title="Overnight, the River Peaked Just Below Its 2007 Level",
            blocks=(
                "<p>The worst seems to have passed, for now.</p>",
                Quote(
                    source="rivers-and-coast-agency",
                    body=(
                        "<p>The Arden at Ferry Bridge peaked at 4.61 metres at 3.40am, eight "
                        "centimetres below the record set in 2007. Levels are now falling "
                        "slowly, but more rain is forecast for the weekend.</p>"
                    ),
                    cited_url="https://riversandcoast.example/levels/ferry-bridge",
                ),
                "<p>Eight centimetres was the difference between flooded cellars and "
                "flooded ground floors across most of Lower Millbrook.</p>",
            ),
            bylines=(EDITOR2, RUTH_OKAFOR),
            pinned=True,
        ),
        EntrySpec(
            minute=960,
            title="Volunteers Ask for Dry Clothes and Hot Food, Not Bottled Water",
            blocks=(
                Quote(
                    source="valley-mutual-aid",
                    body=(
                        "<p>Thank you for the bottled water: we have more than we can store. "
                        "What we need now is dry clothes in adult sizes, hot meals for the "
                        "rest centres and people with vans for the clean-up.</p>"
                    ),
                    cited_url="https://valleymutualaid.example/updates/what-we-need-now",
                ),
                "<p>Donations are being collected at the Caldwick hall between 9am and 6pm.</p>",
            ),
            bylines=(CALLUM_REID,),
        ),
        EntrySpec(
            minute=1200,
            title="Council: 230 Homes Flooded So Far",
            blocks=(
                Quote(
                    source="arden-valley-council",
                    body=(
                        "<p>Our latest count is that 230 homes and 41 businesses have been "
                        "flooded. Hardship grants open tomorrow morning, and council tax will "
                        "be waived for flooded homes for three months.</p>"
                    ),
                    cited_url="https://www.ardenvalley-council.example/news/flood-update-homes",
                ),
                "<p>The count is of properties reported to the council, so the real "
                "number is likely higher. If your home flooded, report it even if you "
                "need nothing yet.</p>",
            ),
            bylines=(EDITOR2,),
        ),
        EntrySpec(
            minute=1500,
            title="Why the Lower Arden Floods Faster Than It Used To",
            blocks=(
                "<p>Residents who remember 2007 say the water rose more quickly this "
                "time. The agency's own explanation:</p>",
                Quote(
                    source="rivers-and-coast-agency",
                    body=(
                        "<p>Drained moorland and new building upstream mean rain reaches the "
                        "river faster than it did twenty years ago. The peak arrives sooner "
                        "and is sharper, which leaves less time to act.</p>"
                    ),
                    cited_url="https://riversandcoast.example/blog/faster-floods-arden",
                ),
                "<p>Plans to re-wet the moor above Caldwick were approved in 2019 and have "
                "not started. We have asked the council why.</p>",
            ),
            bylines=(CALLUM_REID,),
        ),
        EntrySpec(
            minute=1750,
            title="Clean-Up Begins on the Quayside",
            blocks=(
                "<p>The water has gone back below the quay wall, leaving mud, ruined "
                "furniture and a smell that everyone here will remember.</p>",
                Quote(
                    source="arden-fire-and-rescue",
                    body=(
                        "<p>If you are returning home, switch off the electricity at the mains "
                        "before you go in, and have it checked before you switch it back "
                        "on.</p>"
                    ),
                    cited_url="https://social.example/@ArdenFireRescue/posts/demo-returning-home",
                ),
            ),
            bylines=(EDITOR2,),
        ),
    ),
)

BY_ELECTION = StreamSpec(
    publisher=HARBOUR_LIGHT,
    slug="arden-valley-by-election-count",
    title="Arden Valley By-Election: The Count",
    summary="Live from the count at Caldwick Community Hall.",
    status=Stream.Status.ENDED,
    start=timedelta(days=150),
    duration=330,
    entries=(
        EntrySpec(
            minute=0,
            title="Polls Close; the Count Is Under Way",
            blocks=(
                Quote(
                    source="arden-valley-council",
                    body=(
                        "<p>Turnout in the Arden Valley by-election was 41.2 per cent. "
                        "Verification of ballot papers has begun, and the declaration is "
                        "expected at around 3am.</p>"
                    ),
                    cited_url="https://www.ardenvalley-council.example/elections/by-election-turnout",
                ),
                "<p>That is higher than most by-elections manage, and higher than the "
                "council expected.</p>",
            ),
            bylines=(EDITOR2,),
        ),
        EntrySpec(
            minute=95,
            title="Counting Agents Expect a Close Result",
            blocks=(
                Quote(
                    source="arden-sound-radio",
                    body=(
                        "<p>Agents watching the count say the two leading candidates are "
                        "within a few hundred votes of each other, with Caldwick's boxes "
                        "still to be opened.</p>"
                    ),
                    cited_url="https://ardensound.example/news/count-close",
                ),
                "<p>Caldwick voted heavily for the independent at the last council "
                "election, so her supporters in the hall look the happier of the two "
                "camps.</p>",
            ),
            bylines=(CALLUM_REID,),
        ),
        EntrySpec(
            minute=200,
            title="Recount Requested",
            blocks=(
                "<p>One candidate has asked for a recount.</p>",
                Quote(
                    source="arden-valley-council",
                    body=(
                        "<p>The returning officer has agreed to a recount of all ballot "
                        "papers. The declaration will now be later than planned.</p>"
                    ),
                    cited_url="https://www.ardenvalley-council.example/elections/recount",
                ),
            ),
            bylines=(EDITOR2,),
        ),
        EntrySpec(
            minute=320,
            title="Independent Candidate Wins by 112 Votes",
            blocks=(
                "<p>After the recount, Hannah Lowe, standing as an independent, has won "
                "with 6,214 votes to 6,102 for Mark Denby of Valley First.</p>",
                Quote(
                    source="arden-sound-radio",
                    body=(
                        "<p>In her speech, Ms Lowe said her first job would be to get the "
                        "flood defence money spent, and thanked the counting staff for "
                        "staying up all night.</p>"
                    ),
                    cited_url="https://ardensound.example/news/lowe-wins",
                ),
                "<p>That's it from the count. Thank you for staying up with us.</p>",
            ),
            bylines=(EDITOR2, CALLUM_REID),
        ),
    ),
)

MEMBERS_BRIEFING = StreamSpec(
    publisher=TRANSLATORS_DESK,
    slug="members-briefing-the-budget-behind-closed-doors",
    title="Members' Briefing: The Budget Behind Closed Doors",
    summary=(
        "For signed-in members only: our translators talk through what the budget debate "
        "leaves unsaid, with the sources we are still checking."
    ),
    status=Stream.Status.LIVE,
    start=timedelta(hours=6),
    visibility=Stream.Visibility.MEMBERS,
    entries=(
        EntrySpec(
            minute=0,
            title="Why This Briefing Is for Members",
            blocks=(
                "<p>This stream is open to signed-in members only. It carries the working "
                "notes behind our public coverage of the budget debate: figures we have not "
                "yet been able to confirm, and what we are doing to confirm them.</p>",
                Quote(
                    source="kommersant",
                    body=(
                        "<p>Deputies received the closed annex to the budget on the morning "
                        "of the debate, leaving them a few hours to read it.</p>"
                    ),
                    cited_url="https://www.kommersant.ru/doc/demo-zakrytoe-prilozhenie",
                ),
                "<p>If that is right, the first reading approved sums most deputies had "
                "not had time to read.</p>",
            ),
            bylines=(EDITOR,),
        ),
        EntrySpec(
            minute=45,
            title="Checking the Ministry's Deficit Figure",
            blocks=(
                "<p>The ministry's deficit figure and the one implied by its own tables do "
                "not match. Here is the claim:</p>",
                Quote(
                    source="tass",
                    body=(
                        "<p>The deficit will not exceed one and a half per cent of GDP, the "
                        "deputy finance minister said.</p>"
                    ),
                    original=(
                        "<p>Дефицит не превысит полутора процентов ВВП, заявил заместитель "
                        "министра финансов.</p>"
                    ),
                    original_language="ru",
                    cited_url="https://tass.ru/ekonomika/demo-defitsit-poltora-protsenta",
                ),
                "<p>Adding up the published sections gives a gap closer to two per cent. We "
                "have asked the ministry which lines we are missing.</p>",
            ),
            bylines=(WRITER, EDITOR),
        ),
        EntrySpec(
            minute=150,
            title="What Reporters in the Chamber Heard",
            blocks=(
                Quote(
                    source="reuters",
                    body=(
                        "<p>Two deputies said privately that the defence allocation would "
                        "be revised upwards before the second reading.</p>"
                    ),
                    cited_url="https://www.reuters.com/world/demo-duma-defence-revision",
                ),
                "<p>We cannot confirm this yet, which is why it is here and not in the "
                "public stream.</p>",
            ),
            bylines=(WRITER,),
        ),
    ),
)

STREAMS = (SYRIA, DUMA, FLOODS, BY_ELECTION, MEMBERS_BRIEFING)

# What the signed-in demo reader follows, so that their home page is not empty.
FOLLOWS = (
    FollowSpec(email=READER, stream=DUMA.slug),
    FollowSpec(email=READER, publisher=HARBOUR_LIGHT),
)


# What ``seed_demo --entries N --stream SLUG`` varies among. The list lengths are
# prime to one another so that neighbouring entries rarely look alike.

BULK_TITLES = (
    "Ministry Repeats Its Figures",
    "New Claims From the Ground",
    "What State Television Said Tonight",
    "A Correction to Yesterday's Briefing",
    "Diplomats Trade Statements",
    "Video We Could Not Verify",
    "Reporters Reach the Front Line",
    "The Numbers, Checked",
    "A Second Source Confirms",
    "Talks Adjourn Without Agreement",
    "An Analyst's View",
)

BULK_TEXTS = (
    "<p>We are checking these figures against the ministry's previous briefings and "
    "will update this entry.</p>",
    "<p>This is the first independent account of events in the area since the weekend.</p>",
    "<p>The statement names no places and gives no times, which makes it impossible to check.</p>",
    "<p>We translated the full text; the passage that matters is below.</p>",
    "<p>Two other outlets carried almost the same wording within the hour, which "
    "suggests a shared press release.</p>",
    "<p>Note the choice of words: <em>liberated</em> where earlier statements said "
    "<em>captured</em>.</p>",
    "<p>Readers asked us why this matters. In short: it contradicts what the same "
    "ministry said on Monday.</p>",
    "<p>We have not been able to reach anyone in the town to confirm this.</p>",
    "<p>The figures below have not been independently verified.</p>",
    "<p>Local journalists we trust describe the situation differently:</p>",
    "<p>The timing is worth noting: the statement came an hour before the talks resumed.</p>",
    "<p>This is the third such claim this week. None has yet been borne out.</p>",
    "<p>Our translator's note: the original uses an idiom with no exact English "
    "equivalent; we have kept the sense rather than the words.</p>",
    "<p>State television led its evening news with the story; independent outlets did "
    "not mention it.</p>",
    "<p>An earlier version of the same statement, since deleted, gave a different number.</p>",
    "<p>We geolocated the video to a road junction east of the city centre.</p>",
    "<p>More on this as we get it.</p>",
    "<p>What the statement leaves out:</p><ul><li>where the strikes took place;</li>"
    "<li>what was hit;</li><li>whether anyone was hurt.</li></ul>",
    "<p>The ministry has used this phrase in every briefing since the start of the month.</p>",
    "<p>Aid groups say the road has been closed to their convoys for four days.</p>",
    "<p>The claim appeared first on a pro-government channel and was picked up by state "
    "media within minutes.</p>",
    "<p>We asked the ministry for comment and will publish its answer in full if we get one.</p>",
    "<p>This contradicts satellite imagery published yesterday.</p>",
    "<p>A reader who lives nearby sent us a photograph that matches this description.</p>",
    "<p>The wording is more cautious than yesterday's, which may be the real news here.</p>",
    "<p>For context, see our analysis from earlier in the stream.</p>",
    "<p>Diplomats we spoke to were more pessimistic in private than in public.</p>",
    "<p>Here is the passage, translated in full:</p>",
    "<p>This is the figure most often quoted, and the least often sourced.</p>",
)

BULK_QUOTES = (
    Quote(
        source="russian-ministry-of-defence",
        body="<p>Aircraft flew 48 sorties over the past day and struck 61 targets.</p>",
        original="<p>За прошедшие сутки авиация выполнила 48 вылетов и поразила 61 цель.</p>",
        original_language="ru",
        cited_url="https://mil.ru/news/demo-svodka",
    ),
    Quote(
        source="reuters",
        body="<p>Witnesses reported heavy shelling on the outskirts through the night.</p>",
        cited_url="https://www.reuters.com/world/demo-overnight-shelling",
    ),
    Quote(
        source="amnesty-international",
        body="<p>We call on all parties to protect civilians and allow aid to pass.</p>",
        cited_url="https://www.amnesty.org/en/latest/news/demo-protect-civilians",
    ),
    Quote(
        source="tass",
        body="<p>Talks will continue next week, a source close to the delegation said.</p>",
        original="<p>Переговоры продолжатся на следующей неделе, сообщил источник, "
        "близкий к делегации.</p>",
        original_language="ru",
        cited_url="https://tass.ru/politika/demo-peregovory",
    ),
    Quote(
        source="al-jazeera",
        body="<p>Families are leaving the area on foot, carrying what they can.</p>",
        cited_url="https://www.aljazeera.com/news/demo-families-leave-on-foot",
    ),
    Quote(
        source="human-rights-watch",
        body="<p>Attacks on hospitals are never lawful, whoever carries them out.</p>",
        cited_url="https://www.hrw.org/news/demo-attacks-on-hospitals",
    ),
    Quote(
        source="sputnik",
        body="<p>Western reports of the offensive stalling are wishful thinking.</p>",
        cited_url="https://sputnikglobe.com/world/demo-offensive-on-schedule",
    ),
    Quote(
        source="russian-foreign-ministry",
        body="<p>We regard these accusations as groundless and politically motivated.</p>",
        original="<p>Мы считаем эти обвинения беспочвенными и политически мотивированными.</p>",
        original_language="ru",
        cited_url="https://mid.ru/ru/press_service/demo-kommentariy",
    ),
    Quote(
        source="kommersant",
        body="<p>Officials privately expect the operation to last into next year.</p>",
        cited_url="https://www.kommersant.ru/doc/demo-sroki-operatsii",
    ),
    Quote(
        source="institute-for-the-study-of-war",
        body="<p>Forces are likely regrouping before a renewed push towards the city.</p>",
        cited_url="https://www.understandingwar.org/backgrounder/demo-regrouping",
    ),
    Quote(
        source="sana",
        body="<p>Army units restored security and stability to several villages.</p>",
        original="<p>أعادت وحدات الجيش الأمن والاستقرار إلى عدد من القرى.</p>",
        original_language="ar",
        cited_url="https://sana.sy/?p=demo-security-restored",
    ),
    Quote(
        source="reuters",
        body="<p>Prices for bread in the city have doubled in a week, traders said.</p>",
        cited_url="https://www.reuters.com/world/demo-bread-prices-double",
    ),
    Quote(
        source="al-jazeera",
        body="<p>The crossing reopened briefly at noon, then closed again.</p>",
        cited_url="https://www.aljazeera.com/news/demo-crossing-reopens-briefly",
    ),
)

BULK_GUESTS = (DANIEL_HARTLEY, LEILA_HADDAD, ELENA_MARSH, OWEN_PRITCHARD, SOFIA_BRANDT)
