"""Words that frame a question rather than name its topic.

"Who owns the burndown chart, PdM or PjM?" is about *burndown chart*; every
other word is scaffolding. These sets are applied to questions and to the
knowledge base's phrases alike, so both sides are reduced to topic words.
"""

from __future__ import annotations

from .normalize import stem

STOPWORDS: frozenset[str] = frozenset(
    """
    a an the of for to in on at by with from into onto about as and or nor but if then than so
    also just only some any all both either neither each every other another such same own
    is are was were be been being am isnt arent wasnt werent im ive id youre theyre were weve
    do does did doing done dont doesnt didnt has have had having hasnt havent
    will would shall should can could may might must wont wouldnt shouldnt cant couldnt
    i me my mine we us our ours you your yours he him his she her they them their theirs it its
    this that these those there here thats theres heres
    who whom whose whos what whats which when where why how hows whod wholl
    owns owner owned owning ownership responsible responsibility accountable accountability
    job jobs duty duties thing things stuff question questions role roles person people someone
    somebody anyone anybody one ones side task tasks work works working
    handle handles handled handling deal deals dealing take takes taking takes care charge
    decide decides deciding decided decision call make makes making made
    supposed meant expected usually typically normally generally actually really basically
    exactly probably officially ultimately even still yet already now currently today
    hey hi hello please pls thanks thank rolecall bot guys folks team teams
    wait hmm hm um uh erm btw fyi sorry quick q anyway honestly seriously lol
    need needs needed get gets getting got look looks looking
    ask asking asked tell telling answer answering sort sorting
    yes no not okay ok well like kind kinda sorta lot lots much many more most very quite too
    new our current next last first second
    product project products projects manager managers management mgr mgmt pm pms pdm pdms pjm pjms
    suited suit suits tips tip prefer prefers enjoy enjoys stronger important better fit fits wondering considering
    before after during while since until anything something everything nothing everyone whatever
    vs versus between over under up down out off on in go goes going went again
    """.split()
)
"""Never topic words. Role words are here too: the role is the answer, not the topic."""

STOP_STEMS: frozenset[str] = STOPWORDS | frozenset(stem(w) for w in STOPWORDS)
"""The same, as the matcher sees words: "decides" and "decided" stem to a stopword's stem."""

ROLE_PRODUCT: frozenset[str] = frozenset({"product", "products", "pdm", "pdms", "productmanager"})
ROLE_PROJECT: frozenset[str] = frozenset({"project", "projects", "pjm", "pjms", "projectmanager"})
JOB_TITLES: frozenset[str] = frozenset(
    "vp svp evp director head chief cpo cto ceo coo cfo tpm rte senior junior associate principal manager managers lead"
    .split())
"""Words of a job title: "my VP asked our product manager..." names who asks, not what is asked about."""

GREETINGS: frozenset[str] = frozenset(
    "hi hello hey hiya howdy yo morning afternoon evening good thanks thank cheers ta bye goodbye "
    "night all everyone folks team guys there rolecall bot ok okay cool great nice awesome lol".split()
)
"""A message made only of these is small talk, not a question."""

PARTICLES: frozenset[str] = frozenset("up down out off over go".split())
"""Small words that change a phrase's meaning ("hand off", "go live", "sign off"): they weigh more inside a phrase."""

OWNERSHIP_CUES: frozenset[str] = frozenset(
    """who whom whose whos which owns own owner owned ownership responsible responsibility accountable
    job role roles duty should pdm pjm pm pms manager managers management track career""".split()
)
"""Words that make a message an ownership question rather than a request for a fact."""

FACTUAL_OPENERS: frozenset[str] = frozenset("what whats where wheres when whens how hows is are does do can will".split())
"""Openers of fact-finding questions ("what time is ...", "how long is ..."), which this bot does not answer."""

LIGHT_VERBS: frozenset[str] = frozenset(
    """write writes wrote writing create creates creating run runs running set sets setting build builds building
    prepare prepares preparing maintain maintains maintaining produce produces producing draft drafts drafting
    put puts start starts starting keep keeps keeping give gives giving lead leads leading manage manages managing
    own handle organise organize organises organizes organising organizing update updates updating""".split()
)
"""Verbs that say someone does something, not what: "who writes the project plan?" is about the plan.

They still count inside a phrase ("writing skills"), but for a fraction of a topic word.
"""

EVERYDAY: frozenset[str] = frozenset(
    """room rooms office offices desk desks kitchen lunch dinner breakfast coffee tea snacks cake party parties birthday
    holiday holidays vacation vacations payday payroll printer printers wifi laptop laptops monitor monitors parking
    elevator lift badge key keys door doors building floor floors toilet bathroom weather rain train bus taxi flight
    flights hotel visa passport doctor pharmacy gym football soccer game games movie music pizza sushi secret santa
    christmas gift gifts dress uniform chair chairs password email inbox phone tomorrow yesterday tonight weekend
    expense expenses reimbursement reimbursed pto sick commute traffic snow bike car cab uber netflix
    anniversary anniversaries wedding funeral baby babies flowers fridge microwave oven sandwich salad ramen noodles
    burger burgers fries canteen cafeteria menu recipe recipes cooking dishes restaurant restaurants drinks beer wine
    venue dog dogs cat cats pet pets charger chargers cable cables usb headphones stapler toner locker lockers coat
    umbrella haircut dentist hospital flu vaccine rent mortgage groceries grocery yoga marathon triathlon relay tennis
    golf basketball baseball hockey cricket ski skiing beach cruise camping hiking barbecue bbq picnic karaoke concert
    tickets museum zoo garden gardening lawn basement flooding roof plumber electrician heating thermostat aircon
    joke jokes song songs poem horoscope lottery borrow lend""".split()
)
"""Everyday workplace words. Unless the matched topic itself uses one, it counts as evidence the
question is about something else: "who has the key to the project room?" is not about key results."""
