"""Deterministic seeded data for the sandbox: same seed and anchor time, same data.

Records are plain dicts shaped like Upwork's GraphQL answers, so graphql-core's default
resolvers read them directly; the `_`-prefixed keys are the sandbox's own bookkeeping.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

DEFAULT_SEED = 2026

CATEGORIES: dict[str, dict[str, list[str]]] = {
    "Web, Mobile & Software Dev": {
        "Web Development": ["Python", "Django", "React", "TypeScript", "Node.js", "PostgreSQL", "FastAPI", "Vue.js"],
        "Mobile App Development": ["Flutter", "React Native", "Swift", "Kotlin", "Firebase"],
        "Scripts & Utilities": ["Python", "Web Scraping", "Selenium", "Automation", "Bash"],
        "QA & Testing": ["Pytest", "Selenium", "Cypress", "Test Automation", "Manual Testing"],
    },
    "Data Science & Analytics": {
        "Machine Learning": ["Python", "PyTorch", "scikit-learn", "LLM", "NLP", "OpenAI API"],
        "Data Analysis & Testing": ["SQL", "Pandas", "Excel", "Tableau", "Power BI"],
        "Data Extraction/ETL": ["Web Scraping", "ETL", "Airflow", "Python", "BigQuery"],
    },
    "Design & Creative": {
        "Graphic Design": ["Adobe Illustrator", "Logo Design", "Brand Identity", "Canva"],
        "Product Design": ["Figma", "UX Design", "UI Design", "Prototyping"],
        "Video & Animation": ["Video Editing", "After Effects", "Motion Graphics"],
    },
    "Writing": {
        "Content Writing": ["Blog Writing", "SEO Writing", "Article Writing", "Copy Editing"],
        "Technical Writing": ["API Documentation", "Technical Writing", "Markdown"],
        "Sales & Marketing Copywriting": ["Copywriting", "Email Copywriting", "Landing Page"],
    },
    "Sales & Marketing": {
        "Digital Marketing": ["SEO", "Google Ads", "Facebook Ads", "Marketing Strategy"],
        "Lead Generation": ["Lead Generation", "LinkedIn", "Data Entry", "CRM"],
        "Email & Newsletter Marketing": ["Newsletter", "Mailchimp", "Email Marketing", "Klaviyo"],
    },
    "Admin Support": {
        "Virtual Assistance": ["Virtual Assistant", "Calendar Management", "Email Support"],
        "Data Entry & Transcription": ["Data Entry", "Transcription", "Google Sheets"],
    },
}

_PROJECTS = [
    "an internal dashboard",
    "our SaaS onboarding flow",
    "a marketplace MVP",
    "a data pipeline",
    "a customer support tool",
    "a weekly newsletter",
    "an e-commerce store",
    "a booking system",
    "a reporting automation",
    "a mobile companion app",
    "a lead list for B2B outreach",
    "a brand refresh",
    "an LLM-powered assistant",
    "a legacy codebase migration",
    "a price monitoring scraper",
    "API docs",
]
_CLOSINGS = [
    "Long-term work is possible.",
    "Please include examples of similar work.",
    "Start ASAP.",
    "Timezone overlap with us is a plus.",
]
_VERBS = ["Build", "Fix", "Improve", "Design", "Create", "Automate", "Migrate", "Launch", "Refactor", "Audit"]
_ROLES = ["expert", "specialist", "developer", "freelancer", "consultant", "engineer", "designer", "writer"]
_COUNTRIES = [
    ("United States", "US", ["Austin", "New York", "Denver", "Seattle"], "America/Chicago"),
    ("United Kingdom", "GB", ["London", "Manchester"], "Europe/London"),
    ("Germany", "DE", ["Berlin", "Munich"], "Europe/Berlin"),
    ("Canada", "CA", ["Toronto", "Vancouver"], "America/Toronto"),
    ("Australia", "AU", ["Sydney", "Melbourne"], "Australia/Sydney"),
    ("India", "IN", ["Bengaluru", "Pune"], "Asia/Kolkata"),
    ("Netherlands", "NL", ["Amsterdam"], "Europe/Amsterdam"),
    ("Brazil", "BR", ["Sao Paulo"], "America/Sao_Paulo"),
]
_FIRST = [
    "Ana",
    "Ben",
    "Chen",
    "Dara",
    "Eli",
    "Fatima",
    "Goran",
    "Hana",
    "Ivan",
    "Jade",
    "Kofi",
    "Lina",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Uma",
    "Viktor",
    "Wen",
    "Yara",
]
_LAST = [
    "Silva",
    "Okafor",
    "Nguyen",
    "Kowalski",
    "Haddad",
    "Moreau",
    "Larsen",
    "Tanaka",
    "Patel",
    "Ibrahim",
    "Novak",
    "Garcia",
    "Schmidt",
    "Rossi",
    "Kim",
    "Byrne",
]
_COMPANIES = [
    "Northwind",
    "Bluepeak",
    "Acme Labs",
    "Lumen Health",
    "Cobalt Retail",
    "Foxglove Media",
    "Harbor Analytics",
    "Juniper Legal",
    "Kestrel Travel",
    "Maple Finance",
    "Orbit Games",
    "Quarry Logistics",
    "Riverstone",
    "Summit Learning",
    "Tidewater Energy",
    "Vantage Realty",
]
_DURATIONS = [
    ("WEEK", "Less than 1 month", 2),
    ("MONTH", "1 to 3 months", 8),
    ("QUARTER", "3 to 6 months", 20),
    ("SEMESTER", "More than 6 months", 30),
]
_LEVELS = ["ENTRY_LEVEL", "INTERMEDIATE", "EXPERT"]
_MESSAGES = [
    "Hi! Thanks for the update, I'll review it today.",
    "Could you share the staging link?",
    "I pushed the changes to the branch; tests pass locally.",
    "Let's schedule a call for Thursday.",
    "The invoice for this week is submitted.",
    "Can we extend the deadline by two days?",
    "Great work on the last milestone!",
    "I have a question about the API credentials.",
    "Please check the attached mockups and tell me what you think.",
    "All done, ready for your review.",
]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _money(value: float | None, currency: str = "USD") -> dict[str, Any] | None:
    if value is None:
        return None
    return {"rawValue": f"{value:.1f}", "currency": currency, "displayValue": f"${value:,.2f}"}


def _numeric_id(rng: random.Random, prefix: int) -> str:
    return str(prefix * 10**15 + rng.randrange(10**15))


def _workload(engagement: str | None, _draw: float) -> str:
    """The workload the engagement text states. `_draw` is a random number once drawn for it: still drawn, so
    every seeded value after it stays what it was."""
    return "FULL_TIME" if engagement == "More than 30 hrs/week" else "PART_TIME"


def _cipher(rng: random.Random) -> str:
    return "~01" + "".join(rng.choice("0123456789abcdef") for _ in range(18))


@dataclass
class Dataset:
    seed: int
    anchor: datetime
    user: dict[str, Any]
    organizations: list[dict[str, Any]]
    jobs: list[dict[str, Any]]
    clients: list[dict[str, Any]]
    contracts: list[dict[str, Any]]
    rooms: list[dict[str, Any]]
    stories: dict[str, list[dict[str, Any]]]
    freelancers: list[dict[str, Any]]
    categories: dict[str, str] = field(default_factory=dict)  # category id -> label
    subcategories: dict[str, str] = field(default_factory=dict)
    # The freelancer's work (sandbox/work.py): proposals, offers, hours, money, the category tree.
    category_tree: list[dict[str, Any]] = field(default_factory=list)
    proposals: list[dict[str, Any]] = field(default_factory=list)
    proposal_rooms: dict[str, str] = field(default_factory=dict)
    offers: list[dict[str, Any]] = field(default_factory=list)
    offer_rooms: dict[str, str] = field(default_factory=dict)
    time_cells: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)  # contract -> day -> cells
    transactions: list[dict[str, Any]] = field(default_factory=list)
    accounting_entity: str = ""
    my_profile: dict[str, Any] = field(default_factory=dict)  # the user's own FreelancerProfile

    def job_by_id(self, job_id: str) -> dict[str, Any] | None:
        return self._jobs_by_id.get(job_id)

    def __post_init__(self) -> None:
        self._jobs_by_id = {job["id"]: job for job in self.jobs}

    def index(self, job: dict[str, Any]) -> None:
        """Make a job added after generation findable by id."""
        self._jobs_by_id[job["id"]] = job


def generate_market(
    seed: int = DEFAULT_SEED, *, anchor: datetime | None = None, jobs: int = 600, freelancers: int = 200
) -> Dataset:
    rng = random.Random(seed)
    now = (anchor or datetime.now(UTC)).replace(microsecond=0)

    cat_ids = {label: _numeric_id(rng, 531) for label in CATEGORIES}
    sub_ids = {sub: _numeric_id(rng, 531) for subs in CATEGORIES.values() for sub in subs}

    user = {
        "id": _numeric_id(rng, 14),
        "nid": "sandboxfreelancer",
        "rid": str(rng.randrange(10**7)),
        "name": "Sandy Freelancer",
        "email": "sandy@sandbox.invalid",
    }
    # `type` is Upwork's OrganizationType; the company selector spells its own enum and a title.
    organizations = [
        {
            "id": _numeric_id(rng, 15),
            "name": "Sandy Freelancer",
            "type": "SOLE_PROPRIETOR",
            "_selector_type": "SoleProprietor",
            "_type_title": "Freelancer",
        },
        {
            "id": _numeric_id(rng, 15),
            "name": "Sandy's Agency",
            "type": "BUSINESS",
            "_selector_type": "Business",
            "_type_title": "Agency",
        },
        {
            "id": _numeric_id(rng, 15),
            "name": "Northwind Client Team",
            "type": "BUSINESS",
            "_selector_type": "Business",
            "_type_title": "Client",
        },
    ]

    clients: list[dict[str, Any]] = []
    for i, company in enumerate(_COMPANIES * 4):
        country, code, cities, tz = rng.choice(_COUNTRIES)
        hires = rng.choice([0, 0, 1, 3, 8, 15, 40, 120])
        clients.append(
            {
                "_key": f"client-{i}",
                "_name": f"{company} {i // len(_COMPANIES) + 1}" if i >= len(_COMPANIES) else company,
                "totalHires": hires,
                "totalPostedJobs": hires + rng.randrange(1, 30),
                "totalReviews": max(0, hires - rng.randrange(0, 3)),
                "totalFeedback": round(rng.uniform(3.6, 5.0), 2) if hires else 0.0,
                "verificationStatus": "VERIFIED" if rng.random() < 0.75 else "NOT_VERIFIED",
                "totalSpent": _money(float(hires * rng.randrange(200, 6000))),
                "location": {"city": rng.choice(cities), "country": country, "state": None, "timezone": tz},
                "_country_code": code,
            }
        )

    job_list: list[dict[str, Any]] = []
    for index in range(jobs):
        category = rng.choice(list(CATEGORIES))
        sub = rng.choice(list(CATEGORIES[category]))
        pool = CATEGORIES[category][sub]
        skills = rng.sample(pool, k=min(len(pool), rng.randint(2, 4)))
        client = rng.choice(clients)
        fixed = rng.random() < 0.45
        lead = skills[0]
        project = rng.choice(_PROJECTS)
        title = f"{rng.choice(_VERBS)} {project} - {lead} {rng.choice(_ROLES)} needed"
        description = (
            f"We are {client['_name']} and need help to {title.split(' - ')[0].lower()}. "
            f"You should know {', '.join(skills)}. "
            f"{rng.choice(_CLOSINGS)}"
        )
        published = now - timedelta(minutes=rng.randint(3, 30 * 24 * 60))
        duration, duration_label, weeks = rng.choice(_DURATIONS)
        hourly_min = hourly_max = None
        amount = 0.0
        if fixed:
            amount = float(rng.choice([50, 100, 250, 500, 800, 1200, 2500, 5000, 10000]))
        else:
            hourly_min = float(rng.choice([10, 15, 20, 25, 35, 45, 60]))
            hourly_max = hourly_min + float(rng.choice([5, 10, 20, 40]))
        level = rng.choice(_LEVELS)
        job_id, legacy_cipher = _numeric_id(rng, 1790), _cipher(rng)
        engagement = None if fixed else rng.choice(["Less than 30 hrs/week", "More than 30 hrs/week"])
        job_list.append(
            {
                "id": job_id,
                # A current job's ciphertext is ~02 + its id; an old posting (here one in 25) keeps ~01 + hex.
                "ciphertext": legacy_cipher if index % 25 == 24 else "~02" + job_id,
                "title": title,
                "description": description,
                "createdDateTime": _iso(published - timedelta(minutes=rng.randint(1, 120))),
                "publishedDateTime": _iso(published),
                "renewedDateTime": None,
                "amount": _money(amount),
                "hourlyBudgetType": None if fixed else "DEFAULT",
                "hourlyBudgetMin": _money(hourly_min),
                "hourlyBudgetMax": _money(hourly_max),
                "weeklyBudget": None,
                "duration": duration,
                "durationLabel": duration_label,
                "engagement": engagement,
                # Nullable since 2026-09 (facts page, schema drift): some results carry no level.
                "experienceLevel": None if index % 11 == 5 else level,
                "_level": level,
                "totalApplicants": rng.choice([0, 2, 4, 8, 12, 18, 25, 35, 50]),
                "applied": False,
                "premium": rng.random() < 0.1,
                "enterprise": rng.random() < 0.08,
                "freelancersToHire": rng.choice([1, 1, 1, 2, 3]),
                "category": category,
                "subcategory": sub,
                "skills": [
                    {"name": s.lower().replace(" ", "-"), "prettyName": s, "highlighted": False} for s in skills
                ],
                "client": {k: v for k, v in client.items() if not k.startswith("_")},
                "_client_key": client["_key"],
                "_client_name": client["_name"],
                "_client_country_code": client["_country_code"],
                "_category_id": cat_ids[category],
                "_subcategory_id": sub_ids[sub],
                "_published": published,
                "_fixed": fixed,
                "_weeks": weeks,
                "_workload": _workload(engagement, rng.random()),
                "_status": "ACTIVE" if rng.random() < 0.92 else "CLOSED",
                "_cover_letter": rng.random() < 0.7,
                "_questions": rng.sample(
                    [
                        "Describe a similar project you delivered.",
                        "What is your availability?",
                        "Which tools would you use?",
                        "How would you estimate this work?",
                    ],
                    k=rng.randint(0, 2),
                ),
                "_invites": rng.randint(0, 10),
                "_hired": rng.choice([0, 0, 0, 1]),
                "_interviewing": rng.randint(0, 5),
                "_last_activity": _iso(published + timedelta(minutes=rng.randint(1, 600))),
                "_tags": [sub.lower(), rng.choice(["remote", "long-term", "urgent", "startup", "saas"])],
            }
        )

    contracts: list[dict[str, Any]] = []
    rooms: list[dict[str, Any]] = []
    stories: dict[str, list[dict[str, Any]]] = {}
    statuses = ["ACTIVE"] * 10 + ["PAUSED"] * 3 + ["CLOSED"] * 7
    for i in range(20):
        client = clients[i * 3 % len(clients)]
        job = job_list[i * 7]
        start = now - timedelta(days=rng.randint(10, 400))
        status = statuses[i]
        contract_id = str(30_000_000 + rng.randrange(10**6))
        manager = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        contracts.append(
            {
                "id": contract_id,
                "title": job["title"],
                "status": status,
                "deliveryModel": "TALENT_MARKETPLACE",
                "createDate": _iso(start - timedelta(days=2)),
                "startDate": _iso(start),
                "endDate": _iso(min(start + timedelta(days=rng.randint(20, 200)), now - timedelta(days=1)))
                if status == "CLOSED"
                else None,
                "offerId": str(40_000_000 + rng.randrange(10**6)),
                "offer": None,
                "job": {"id": job["id"]},
                "clientOrganization": {"id": _numeric_id(rng, 16), "name": client["_name"]},
                "_fixed": job["_fixed"],
                "_rate": float(job["hourlyBudgetMax"]["rawValue"]) if not job["_fixed"] else None,
                "_amount": float(job["amount"]["rawValue"]) if job["_fixed"] else None,
                "freelancer": {"id": user["id"], "name": user["name"]},
                "hiringManager": {"id": _numeric_id(rng, 14), "name": manager},
                "_client_key": client["_key"],
            }
        )
        contracts[-1]["offer"] = {"id": contracts[-1]["offerId"], "title": job["title"]}
        room_id = f"room_{rng.randrange(16**12):012x}"
        rooms.append(
            {
                "id": room_id,
                "roomName": f"{client['_name']}: {job['title'][:40]}",
                "topic": job["title"],
                "roomType": "GROUP",
                "numUnread": rng.randint(0, 3),
                "contractId": contract_id,
                "_participants": [user["name"], manager],
                # The default room list holds only subscribed rooms: a closed contract's room is not one.
                "_subscribed": status != "CLOSED",
            }
        )
        stories[room_id] = _conversation(rng, start, now, user, manager)
    for i in range(5):
        manager = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        room_id = f"room_{rng.randrange(16**12):012x}"
        job = job_list[200 + i]
        rooms.append(
            {
                "id": room_id,
                "roomName": f"Proposal: {job['title'][:40]}",
                "topic": job["title"],
                "roomType": "ONE_ON_ONE",
                "numUnread": rng.randint(0, 2),
                "contractId": None,
                "_participants": [user["name"], manager],
                "_hidden": i == 4,  # one the user hid: listed only with includeHidden_eq
                "_subscribed": i != 4,
            }
        )
        stories[room_id] = _conversation(rng, now - timedelta(days=rng.randint(1, 20)), now, user, manager)

    people: list[dict[str, Any]] = []
    for _ in range(freelancers):
        category = rng.choice(list(CATEGORIES))
        sub = rng.choice(list(CATEGORIES[category]))
        skills = rng.sample(CATEGORIES[category][sub], k=min(3, len(CATEGORIES[category][sub])))
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        country, _code, cities, tz = rng.choice(_COUNTRIES)
        city = rng.choice(cities)
        rate = float(rng.choice([15, 20, 30, 45, 60, 80, 100, 150]))
        jss = round(rng.uniform(70, 100), 0)
        top = rng.choice(["TOP_RATED", "TOP_RATED_PLUS", "NONE", "NONE", "RISING_TALENT"])
        cipher = _cipher(rng)
        title = f"{skills[0]} {rng.choice(_ROLES).title()} | {sub}"
        hours = float(rng.randrange(0, 9000))
        people.append(
            {
                "id": _numeric_id(rng, 17),
                "ciphertext": cipher,
                "title": title,
                "shortName": f"{first} {last[0]}.",
                "description": f"I help teams with {', '.join(skills)}. "
                f"{rng.randint(2, 15)} years of experience in {sub.lower()}.",
                "avgFeedbackScore": round(rng.uniform(4.0, 5.0), 2),
                "topRatedStatus": top,
                "totalHourlyJobs": rng.randrange(0, 60),
                "totalFixedPriceJobs": rng.randrange(0, 60),
                "hourlyRate": _money(rate),
                "skills": [{"preferredLabel": s} for s in skills],
                "location": {"country": country, "city": city},
                "_profile": {
                    # Other people's names come back null from Upwork though the schema says String!: the
                    # null bubbles up and loses the whole profile (live, borntojesus).
                    "fullName": None,
                    "firstName": None,
                    "lastName": None,
                    "countryDetails": {"name": country},
                    "personalData": {
                        "firstName": first,
                        "lastName": last,
                        "title": title,
                        "description": f"Hello, I'm {first}. I help teams with {', '.join(skills)}.",
                        "profileUrl": f"https://www.upwork.com/freelancers/{cipher}",
                        "chargeRate": _money(rate),
                    },
                    "aggregates": {
                        "jobSuccessScore": jss,
                        "topRatedStatus": top,
                        "totalHours": hours,
                        "totalFeedback": round(rng.uniform(4.0, 5.0), 2),
                        "totalEarnings": _money(hours * rate * 0.6),
                    },
                    "availability": {"name": rng.choice(["FULL_TIME", "PART_TIME", "NOT_AVAILABLE"])},
                    "skills": {"edges": [{"node": {"prettyName": s}} for s in skills]},
                },
            }
        )

    dataset = Dataset(
        seed=seed,
        anchor=now,
        user=user,
        organizations=organizations,
        jobs=job_list,
        clients=clients,
        contracts=contracts,
        rooms=rooms,
        stories=stories,
        freelancers=people,
        categories={v: k for k, v in cat_ids.items()},
        subcategories={v: k for k, v in sub_ids.items()},
    )
    return dataset


def _conversation(
    rng: random.Random, start: datetime, now: datetime, user: dict[str, Any], other: str
) -> list[dict[str, Any]]:
    other_id = f"user_{rng.randrange(10**8)}"
    gaps = [timedelta(hours=rng.randint(1, 72)) for _ in range(rng.randint(3, 12))]
    moments, moment = [], start
    for gap in gaps:
        moment += gap
        moments.append(moment)
    # A conversation that would run past now is moved back so it ends a little before now.
    overshoot = moments[-1] - (now - timedelta(minutes=rng.randint(5, 3000)))
    if overshoot > timedelta(0):
        moments = [m - overshoot for m in moments]
    return [
        {
            "id": f"story_{rng.randrange(16**12):012x}",
            "message": rng.choice(_MESSAGES),
            "createdDateTime": _iso(m),
            "user": {"id": user["id"], "name": user["name"]} if rng.random() < 0.5 else {"id": other_id, "name": other},
        }
        for m in moments
    ]
