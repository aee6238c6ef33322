"""The posting reader: which lines of a job posting are asks, and which are not.

A recruiter reading a posting skips the job title, the company blurb, the headings, the salary, the benefits,
the schedule, the address, the equal-opportunity statement and the instructions for applying; what is left
are requirements, nice-to-haves and duties. :func:`read_posting` makes the same cut, line by line, so that
only those three kinds are scored (:mod:`mosaics_match.matching.requirements`).

How a line is read, in order:

1. The posting's own structure: bullets and numbered items are one item each, however many commas they hold
   ("Working knowledge of SQL (joins, aggregations)" stays whole); other lines are split into sentences;
   lines a PDF wrapped mid-sentence are joined back.
2. Boilerplate cues on the line itself win everywhere: pay, benefits, schedule, location or address, dates,
   equal-opportunity and accessibility statements, how to apply, job-detail fields ("Job type: …"), the job
   title.
3. A nice-to-have cue on the line ("preferred", "an asset", "would be a plus", "atout") makes it a
   nice-to-have even under "Requirements".
4. Otherwise the section heading above the line decides ("Requirements", "What you'll bring", "Nice to have",
   "Assets", "Responsibilities", "About us", "Benefits", … with or without a colon, in capitals, in French).
5. Lines under no known heading are read by their wording: skill and credential words make a requirement, a
   task verb or "you will" a duty; prose that is neither is boilerplate (introductions, closing remarks).

Pure Python: no Streamlit, no database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .requirements import LineKind, Requirement

__all__ = ["PostingLine", "PostingReading", "SCORED_KINDS", "read_posting", "screening_topic"]

#: Kinds of lines that are scored, in the order a page lists them.
SCORED_KINDS: tuple[LineKind, ...] = ("requirement", "nice_to_have", "duty")

MAX_UNITS = 400  # lines and sentences read from one posting; posting_text already caps its length
MAX_LINE_CHARS = 600  # a longer "line" is not one ask; cutting it also bounds the work of every pattern below

# --- section headings ----------------------------------------------------------------------------------------
# Category of a heading: the three scored kinds, "intro" (a description of the role: prose under it is an
# introduction, but a list under it is read by its wording), or a boilerplate reason.
_HEADINGS: dict[str, tuple[str, ...]] = {
    "requirement": (
        "requirements", "job requirements", "the requirements", "position requirements", "role requirements",
        "qualifications", "required qualifications", "minimum qualifications", "basic qualifications",
        "essential qualifications", "key qualifications", "qualifications and skills", "skills and qualifications",
        "skills and experience", "experience and skills", "experience and qualifications",
        "education and experience", "requirements and qualifications", "qualifications and requirements",
        "what you'll bring", "what you bring", "what you will bring", "what you'll bring to the team",
        "what you bring to the team", "what you need", "what you'll need", "what you will need",
        "what we're looking for", "what we are looking for", "who we're looking for", "who we are looking for",
        "who you are", "about you", "you have", "you are", "you", "your profile", "your skills",
        "your experience", "your background", "what we need", "what you need to succeed", "you need",
        "the ideal candidate", "ideal candidate", "the ideal candidate has",
        "must have", "must haves", "must-have", "must-haves", "required skills", "required experience", "skills",
        "key skills", "technical skills", "knowledge and skills", "knowledge, skills and abilities",
        "competencies", "core competencies", "education", "experience", "credentials", "certifications",
        "what it takes", "is this you", "is this you?", "do you have what it takes", "profile",
        "conditions of employment", "certificates, licences, memberships, and courses",
        "certificates, licenses, memberships, and courses", "security and safety",
        "transportation/travel information", "work conditions and physical capabilities", "personal suitability",
        "exigences", "exigences du poste", "exigences et qualifications", "qualifications requises",
        "profil recherché", "profil", "votre profil", "compétences", "compétences requises",
        "compétences recherchées", "ce que vous apportez", "ce que nous recherchons", "formation", "expérience",
        "scolarité", "critères", "critères de sélection", "qualifications essentielles", "qui êtes-vous",
        "conditions d'emploi", "études", "exigences opérationnelles", "operational requirements",
        "statement of merit criteria", "merit criteria", "education/experience", "education and training",
    ),
    "nice_to_have": (
        "nice to have", "nice to haves", "nice-to-have", "nice-to-haves", "nice to have but not required",
        "assets", "asset", "asset qualifications", "additional assets", "bonus", "bonus points", "bonus skills",
        "extra credit", "preferred", "preferred qualifications", "preferred skills", "preferred experience",
        "desirable", "desirable skills", "desirable qualifications", "good to have", "pluses", "it's a plus if",
        "it's a bonus if", "it would be great if you", "even better if", "even better if you have",
        "would be nice", "nice but not required", "atouts", "atout", "les atouts", "un atout",
        "compétences souhaitées", "qualifications souhaitées", "exigences souhaitées", "ce qui serait un plus",
        "un plus", "qualifications constituant un atout", "besoins organisationnels", "organizational needs",
        "organisational needs", "asset criteria", "critères constituant un atout",
    ),
    "duty": (
        "responsibilities", "key responsibilities", "main responsibilities", "your responsibilities",
        "job responsibilities", "primary responsibilities", "core responsibilities", "duties", "key duties",
        "main duties", "job duties", "duties and responsibilities", "responsibilities and duties",
        "key accountabilities", "accountabilities", "what you'll do", "what you will do", "what you'll be doing",
        "what you will be doing", "what you'll work on", "in this role you will", "in this role, you will",
        "in this role", "day to day", "day-to-day", "a day in the life", "your day", "your impact",
        "your mission", "tasks", "main tasks", "the work", "responsabilités", "principales responsabilités",
        "vos responsabilités", "tâches", "principales tâches", "fonctions", "principales fonctions",
        "description des tâches", "ce que vous ferez", "votre rôle", "mandat", "votre mandat",
        "essential functions", "essential duties", "key functions", "job functions", "essential duties and "
        "responsibilities",
    ),
    "intro": (
        "about the role", "about the job", "about the position", "about this role", "about this job",
        "about this position", "about the opportunity", "the opportunity", "the role", "role", "the position",
        "the job", "overview", "job overview", "position overview", "role overview", "summary", "job summary",
        "position summary", "role summary", "your role", "the role in brief", "description", "job description",
        "full job description",
        "position description", "à propos du poste", "le poste", "description du poste", "sommaire",
        "aperçu", "résumé du poste", "le rôle",
    ),
    "about the employer": (
        "about us", "about the company", "about the team", "about the organization", "about the organisation",
        "who we are", "our company", "our team", "our story", "our mission", "our values", "our culture",
        "company overview", "company description", "the company", "the team", "why join us", "why us",
        "why work with us", "why join our team", "why you'll love working here", "life at", "à propos de nous",
        "à propos", "qui sommes-nous", "qui sommes-nous?", "qui nous sommes", "notre entreprise",
        "notre équipe", "notre mission", "nos valeurs", "pourquoi nous joindre", "pourquoi travailler avec nous",
        "pourquoi se joindre à nous",
    ),
    "pay and benefits": (
        "what we offer", "we offer", "what's in it for you", "what you'll get", "what you get", "benefits",
        "perks", "perks and benefits", "benefits and perks", "compensation", "compensation and benefits",
        "salary", "pay", "wage", "salary and benefits", "total rewards", "rewards", "health benefits",
        "financial benefits", "other benefits", "long term benefits", "avantages", "avantages sociaux",
        "ce que nous offrons", "nous offrons", "conditions de travail", "rémunération", "salaire",
        "rémunération et avantages",
    ),
    "how to apply": (
        "how to apply", "to apply", "application process", "application instructions", "applying",
        "next steps", "ready to apply", "ready to apply?", "interested?", "interested", "apply now",
        "who can apply to this job", "who can apply to this job?", "screening questions", "pour postuler",
        "comment postuler", "postuler", "soumettre votre candidature",
    ),
    "equal-opportunity or accessibility statement": (
        "equal opportunity", "equal opportunity employer", "equal employment opportunity", "diversity",
        "diversity and inclusion", "diversity, equity and inclusion", "inclusion", "our commitment",
        "our commitment to diversity", "our commitment to inclusion", "commitment to diversity", "accessibility",
        "accommodation", "accommodations", "employment groups", "équité, diversité et inclusion",
        "diversité et inclusion", "accessibilité", "mesures d'adaptation",
    ),
    "job details": (
        "job details", "details", "position details", "job information", "additional information",
        "other information", "important information", "location", "work location", "job location",
        "schedule", "hours", "working hours", "hours of work", "work schedule", "shifts", "work setting",
        "languages", "language", "language requirements", "employment type", "job type", "start date",
        "renseignements supplémentaires", "informations supplémentaires", "lieu de travail", "horaire",
        "horaire de travail", "langues", "détails du poste", "exigences linguistiques", "language profile",
        "information supplémentaire", "other information", "working conditions", "work environment",
        "physical demands", "work conditions", "environnement de travail", "conditions de travail particulières",
    ),
}
_HEADING_CATEGORY = {key: category for category, keys in _HEADINGS.items() for key in keys}
# Headings not in the list above ("Duties include:", "It's a plus if you have:") by the words in them; the
# first match wins, so "a plus if you have" is a nice-to-have before "you have" makes it a requirement.
_HEADING_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((category, re.compile(pattern, re.IGNORECASE)) for
                                                               category, pattern in (
    ("nice_to_have", r"\b(?:plus|bonus|assets?|nice|prefer\w*|desirable|even better|atouts?|souhait\w*)\b"),
    ("how to apply", r"\b(?:apply|applying|application|postuler|candidature)\b"),
    ("pay and benefits", r"\b(?:benefits?|perks?|we offer|rewards?|salary|compensation|pay|wages?|avantages?|"
                         r"offrons|rémunération|salaire)\b"),
    ("job details", r"\b(?:schedule|hours|shifts?|location|working conditions|work environment|horaire|lieu)\b"),
    ("duty", r"\b(?:responsib\w*|duties|duty|tasks?|accountabilit\w*|what you('ll| will) (?:do|be doing)|"
             r"day[- ]to[- ]day|tâches|fonctions|functions)\b"),
    ("requirement", r"\b(?:requirements?|required|qualifications?|must[- ]haves?|must have|you have|you bring|"
                    r"you'll bring|looking for|skills|experience|need|exigences?|profil|compétences)\b"),
    ("about the employer", r"^(?:about|à propos|who we are|why join)\b"),
))

# Field lines ("Salary: …", "Job type: …"): label -> why the line is not scored.
_FIELDS: dict[str, tuple[str, ...]] = {
    "pay and benefits": (
        "salary", "salary range", "base salary", "base salary range", "pay", "pay range", "pay rate",
        "rate of pay", "wage", "wages", "hourly rate", "compensation", "rate", "benefits", "perks", "salaire",
        "rémunération", "avantages", "taux horaire",
    ),
    "schedule": (
        "schedule", "work schedule", "hours", "hours of work", "working hours", "shift", "shifts",
        "shift and schedule", "horaire", "horaire de travail", "heures",
    ),
    "location": (
        "location", "work location", "job location", "address", "office", "work site", "worksite", "lieu",
        "lieu de travail", "adresse", "city", "ville", "work setting",
    ),
    "date": (
        "start date", "closing date", "deadline", "deadline to apply", "application deadline", "posted",
        "date posted", "posting date", "posted on", "advertised until", "apply by", "date limite",
        "date de début", "date d'entrée en fonction", "date de clôture", "entrée en fonction",
    ),
    "job details": (
        "job type", "employment type", "type", "terms of employment", "status", "employment status",
        "contract", "contract length", "duration", "positions", "vacancies", "number of positions",
        "number of vacancies", "job id", "job number", "reference", "reference number", "req id",
        "requisition", "requisition id", "competition number", "reports to", "reporting to", "department",
        "division", "team", "travel", "type d'emploi", "statut", "durée", "nombre de postes", "numéro",
        "relève de", "languages", "language", "language of work", "langues", "langue", "langue de travail",
    ),
    "job title": ("job title", "title", "position", "poste", "titre", "titre du poste", "role title"),
}
_FIELD_WHY = {label: why for why, labels in _FIELDS.items() for label in labels}
_FIELD_LINE = re.compile(r"^([^\W\d][^:]{0,38}?)\s*:\s*(.*)$")

# --- line shapes ---------------------------------------------------------------------------------------------
# Bullet glyphs may touch the text ("•Item", as PDFs extract them); ASCII markers and numbers need a space.
_BULLET = re.compile(
    r"^\s*(?:[\u2022\u00b7\u25aa\u25ab\u25cf\u25e6\u2023\u2043\u2713\u2714\u2610\u25a1\u25a0\u25ba\u25b8"
    r"\u27a2\u2192\uf0b7\uf0a7\uf076\uf0d8]\s*|(?:[-*+\u2013\u2014>]|\(?\d{1,2}[.)]|\(?[a-h][.)])\s+)"
)
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+(.*?)\s*#*\s*$")
_MD_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(.+?)\1\s*:?\s*$")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1|(?<![\w*])\*(?!\s)([^*]+?)\*(?![\w*])")
_LETTER = re.compile(r"[^\W\d_]")
_SPACES = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff1a": ":"})
_ABBREVIATIONS = {
    "e.g", "i.e", "etc", "vs", "st", "ave", "rd", "dr", "mr", "mrs", "ms", "inc", "ltd", "co", "no", "approx",
    "jr", "sr", "a.m", "p.m", "dept", "min", "max", "hr", "hrs", "yrs", "ex", "u.s", "mt", "ft", "blvd", "cres",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "ph.d", "b.a", "b.sc",
    "m.sc", "corp", "est", "tel", "ext", "nb", "av", "boul", "ch", "env", "mme", "m",
}

# --- cues on the line itself ---------------------------------------------------------------------------------
_I = re.IGNORECASE
_MONTHS = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar"
           r"|apr|jun|jul|aug|sept?|oct|nov|dec|janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout"
           r"|septembre|octobre|novembre|décembre|decembre)")
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th|er)?\s+{_MONTHS}\.?,?\s+\d{{4}}|{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}|{_MONTHS}\s+\d{{4}}|le\s+\d{{1,2}}(?:er)?\s+{_MONTHS})\b", _I)
_DATE_CONTEXT = re.compile(r"\b(?:by|before|until|on or before|no later than|starting|start|starts|closing|closes|"
                           r"deadline|posted|avant|d'ici|au plus tard|début|dès)\b", _I)
_MONEY = r"(?:\$\s?\d[\d,.]*\s*[kK]?|\d[\d,.\s]*\s?\$|€\s?\d[\d,.]*|\d[\d,.]*\s?(?:CAD|USD|€))"
_PAY = re.compile(
    rf"^(?:base\s+|starting\s+|annual\s+)?(?:salary|wages?|pay|compensation|hourly rate|rate of pay|salaire|"
    rf"rémunération|taux horaire)\b"
    rf"|{_MONEY}\s*(?:-|–|—|to|à)\s*{_MONEY}"
    rf"|{_MONEY}\s*(?:/\s?(?:h|hr|hour|heure|year|yr|annum|an|week|wk|month)\b|(?:per|an|a|each|par|de l')\s*"
    rf"(?:hour|year|annum|week|month|heure|année|an|semaine)\b|l'heure|hourly|annually|yearly|weekly|per annum)"
    rf"|\b(?:competitive|attractive|generous)\s+(?:salary|wages?|pay|compensation)"
    rf"|\bsalary (?:range|band|of)\b|\bsalaire\b",
    _I)
_APPLY = re.compile(
    r"\bhow to apply\b|^to apply\b|\bto apply(?:\s*[,:.]|\s+(?:for this|please|send|visit|email|submit|go|click))"
    r"|\bapply (?:now|today|online|by|before|on or before|through|via|here|at|in person)\b|\bplease apply\b"
    r"|\bapplications? (?:close|closes|are due|is due|will be|must|should|received|deadline|accepted|open|"
    r"are reviewed|will close)\b"
    r"|\b(?:send|submit|email|e-mail|forward|upload)\b.{0,40}?\b(?:r[ée]sum[ée]s?|cv|cover letter|application|"
    r"portfolio|curriculum vitae)\b"
    r"|\bonly (?:those|candidates|applicants)\b.{0,120}?\b(?:selected|contacted)\b|\bwe thank all\b"
    r"|^by (?:e-?mail|mail|fax|phone|online|in person)\b"
    r"|\bpour postuler\b|\bpostulez\b|\bfaites parvenir\b|\bsoumettez\b|\benvoyez votre\b|\bdate limite\b",
    _I)
_EQUITY = re.compile(
    r"\bequal[- ]opportunit(?:y|ies)\b|\bequal employment\b|\bemployment equity\b|\béquité en matière d'emploi\b"
    r"|\b(?:welcome|welcomes|encourage|encourages|invite|invites)\s+(?:all\s+)?(?:qualified\s+)?"
    r"(?:applications|applicants|candidates|people)\b"
    r"|\bapplicants? (?:from|of) (?:all|every|diverse)\b"
    r"|\bcommitted to (?:diversity|inclusion|equity|employment equity|(?:an? |the )?(?:inclusive|diverse|"
    r"barrier-free|accessible|equitable))"
    r"|\binclusive (?:employer|workplace|hiring|recruitment)\b|\bregardless of\b|\bwithout regard to\b"
    r"|\b(?:we|our|us)\b.{0,160}?\baccommodations?\b|\baccommodations?\b.{0,160}?\b(?:available|upon request|"
    r"on request|"
    r"let us know|contact us|contact our)\b|\b(?:you )?(?:need|require|requires)\s+(?:an?\s+|any\s+)?"
    r"accommodations?\b|\bdiversity (?:makes|is|and inclusion|, equity)|\bdiverse teams?\b"
    r"|\bmesures? d'adaptation\b|\baccommodement|\bnous souscrivons\b|\bpersonnes handicapées\b"
    r"|\bexempts? d'obstacles\b|\bmilieu de travail inclusif|\bprocessus de sélection\b.{0,80}?\binclusifs?\b",
    _I)
# Words that make a statement about hiring only when the line is not a task or an ask ("Plan accessible events
# that meet AODA standards" is a duty).
_EQUITY_TOPIC = re.compile(r"\bbarrier-free\b|\bhuman rights code\b|\baoda\b|\baccessibility for ontarians\b",
                           _I)
_EQUITY_GROUPS = re.compile(r"\b(?:indigenous|racialized|visible minorit|(?:people|persons) with disabilities|"
                            r"2slgbtq|lgbtq|women|black)\b", _I)
_EQUITY_GROUP_CONTEXT = re.compile(r"\b(?:applications?|applicants?|candidates|welcome|welcomes|encourage|hire|"
                                   r"hiring|employer|employment)\b", _I)
_STREET = re.compile(
    r"\b\d{1,6}[A-Za-z]?\s+(?:[A-Z0-9][\w'.-]*\s+){0,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Drive|Dr|"
    r"Lane|Ln|Way|Crescent|Cres|Court|Ct|Place|Pl|Parkway|Pkwy|Highway|Hwy|Square|Sq|Terrace|Trail|Circle|Quay|"
    r"Gate|Row|Line|Sideroad|Concession)\b")
_POSTAL = re.compile(r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s?\d[ABCEGHJ-NPRSTV-Z]\d\b")
_FR_STREET = re.compile(r"\b\d{1,6},?\s+(?:rue|boulevard|boul\.|avenue|av\.|chemin|ch\.|place|route|rang)\b", _I)
_CITY = re.compile(r"^[A-ZÀ-Ý][\w .'-]*,\s*(?:ON|Ontario|QC|Québec|Quebec|BC|British Columbia|AB|Alberta|MB|"
                   r"Manitoba|SK|Saskatchewan|NS|Nova Scotia|NB|New Brunswick|NL|PE|PEI|YT|NT|NU|Canada)\b")
_WORK_MODE = re.compile(r"\b(?:hybrid|remote|on-site|onsite|in[- ]person|in office|days in (?:the )?office|"
                        r"work from home|télétravail|hybride|en présentiel)\b", _I)
_SCHEDULE_STRONG = re.compile(
    r"\b(?:monday|lundi)\s*(?:to|through|-|–|—|au)\s*(?:friday|saturday|sunday|vendredi|samedi|dimanche)\b"
    r"|\b(?:sunday|saturday|dimanche|samedi)\s*(?:to|through|-|–|—|au)\s*\w+\b"
    r"|\b\d+(?:\.\d+)?\s*(?:to\s*\d+\s*)?(?:hours?|heures?)\s*(?:per|a|/|each|par)\s*(?:week|semaine)\b"
    r"|\b\d{1,2}(?::\d{2})?\s*(?:a\.m\.|p\.m\.|am|pm|h)\s*(?:to|-|–|à)\s*\d",
    _I)
_SCHEDULE = re.compile(
    r"\b(?:day|evening|night|weekend|overnight|rotating|split|morning|afternoon)\s+shifts?\b"
    r"|\bovertime (?:available|may be required|as needed)\b"
    r"|\b(?:full|part)[- ]time\b|\bpermanent\b|\btemporary\b|\bcontract\b|\bcasual\b|\bseasonal\b"
    r"|\btemps (?:plein|partiel)\b",
    _I)
_AVAILABILITY = re.compile(r"\bmust be available\b|\b(?:weekend|evening|night|holiday|overnight|shift)s? "
                           r"availability\b|\bavailab(?:le|ility) (?:on |for |to work )?(?:evenings|weekends|nights|"
                           r"holidays|overnights|rotating shifts|shifts)\b|\b(?:availab(?:le|ility)|able|ability|"
                           r"willing(?:ness)?|prepared)\s+to "
                           r"work\b.{0,120}?\b(?:evenings?|weekends?|nights?|holidays?|overtime|shifts?|rotating|"
                           r"on[- ]call|flexible hours)\b", _I)
_BENEFIT = re.compile(
    r"\b(?:health|dental|vision|medical)(?: and (?:dental|vision))? (?:benefits|care|coverage|plan|insurance)\b"
    r"|\bgroup (?:benefits|insurance)\b|\bextended health\b|\bbenefits (?:package|plan|program)\b"
    r"|\b(?:defined[- ]benefit )?pension\b|\brrsp\b|\btfsa\b"
    r"|\bpaid (?:time off|vacation|holidays|sick|planning time|parental|training|breaks?)\b"
    r"|\bvacation (?:days|weeks|time)\b|\b\d+ weeks'? (?:of )?(?:paid )?vacation\b|\bpto\b"
    r"|\btuition (?:support|reimbursement|assistance)\b|\bwellness\b|\bemployee (?:discount|assistance)\b"
    r"|\bgym\b|\b(?:learning|training|education) budget\b"
    r"|\bprofessional development (?:days|budget|fund|allowance)\b|\ballowance\b|\bsick days\b"
    r"|\bparental leave\b|\bflexible (?:hours|schedule|work)\b|\bfour-day work week\b|\bstock options\b"
    r"|\b(?:annual|performance) bonus\b|\btips\b|\bdiscounted\b|\bfree (?:food|meals|parking|lunch)\b"
    r"|\bparking\b|\bassurances? collectives?\b|\brégime de retraite\b|\bvacances\b|\bcongés\b",
    _I)
_BENEFIT_CONTEXT = re.compile(r"\b(?:we offer|offer|offering|enjoy|you'll get|you will get|you get|plus|including|"
                              r"includes?|from day one|after \w+ (?:months?|days)|eligible|access to|comprehensive|"
                              r"competitive|generous|annual|yearly|per year|a year|nous offrons|dès|après)\b", _I)
_POSTING_LANGUAGE = re.compile(r"\b(?:posting|job ad|job posting|advertisement|ad|offer|offre|affichage|poste)\b"
                               r".{0,60}?\b(?:available|disponible|affichée?)\b.{0,30}?\b(?:french|english|"
                               r"français|anglais)\b"
                               r"|\bversion (?:française|anglaise)\b|\ble masculin\b|\bgenre masculin\b", _I)
_CONTACT = re.compile(r"^(?:\S+@\S+\.\w+|https?://\S+|www\.\S+)$", _I)
_NICE = re.compile(
    r"\b(?:is|are|be|strongly|highly|also)\s+preferred\b|\bpreferred\s*(?:[.,;:)]|$|but\b|qualifications?\b|"
    r"skills?\b|experience\b)|\bpreferably\b"
    r"|\b(?:is|are|would be|will be|considered|an?|as an?)\s+(?:an?\s+)?(?:asset|assets|plus|bonus|advantage)\b"
    r"|\bnice[- ]to[- ]haves?\b|\bbonus points?\b|\bdesirable\b|\bnot (?:required|mandatory|essential)\b"
    r"|\batouts?\b|\bun plus\b|\bsouhait(?:é|ée|és|ées|able)\b|\bserait un avantage\b",
    _I)
_NICE_START = re.compile(r"^(?:ideally|bonus|extra points|even better|idéalement)\b", _I)
_REQ_START = re.compile(
    r"^(?:experience|knowledge|familiarity|proficiency|proficient|ability|abilities|able to|strong|excellent|"
    r"solid|proven|demonstrated|good|sound|basic|advanced|working knowledge|hands-on|understanding|degree|"
    r"diploma|certificate|certification|certified|licen[cs]ed?|bachelor'?s?|master'?s?|post-secondary|college|"
    r"university|high school|secondary|\d+\+?\s*(?:years?|yrs)|minimum|at least|comfortable|confident|fluent|"
    r"fluency|bilingual|skilled|skills?|background|registered|member|membership|valid|current|eligible|"
    r"legally|must|exposure|attention to|clear (?:vulnerable|criminal|police|background|record|security|driving|"
    r"driver'?s)|expérience|connaissances?|maîtrise|capacité|aptitudes?|habiletés?|"
    r"diplôme|certificat|permis|baccalauréat|bilinguisme|bonne|excellente|très bonne|(?:an?|the)\s+(?:diploma|"
    r"degree|valid|current|clear|strong|background|minimum|certificate|college|university|passion))\b",
    _I)
_REQ_ANY = re.compile(
    r"\b(?:you have|you've got|you bring|you are|you're|you can|you understand|you know|you hold|you possess|"
    r"you('ll| will) (?:have|bring|need|be comfortable)|the ideal candidate|someone who|required|is a must|"
    r"are a must|must (?:have|be|hold|possess)|experience (?:with|in|using|working|of)|knowledge of|"
    r"proficien(?:cy|t) (?:in|with)|familiar(?:ity)? with|ability to|understanding of|skills? (?:in|with)|"
    r"vous (?:avez|possédez|détenez|maîtrisez|êtes)|requis|requise|exigée?s?|obligatoire)\b",
    _I)
_DUTY_ANY = re.compile(r"\b(?:you will|you'll|your day|in this role|responsible for|vous (?:serez|allez|devrez))\b",
                       _I)
_VERBS = frozenset("""
    accept add approve assign attend call confirm contact dispatch enter mail match post raise reschedule route
    scan sort submit tag transcribe type
    accompany bake bathe bill brew calibrate comfort delegate dress encourage feed fix host invoice listen migrate
    mix moderate optimise optimize pour read receive refactor repair replace replenish sanitise sanitize sell
    suggest transport tutor unload upsell wash
    accept administer advise analyse analyze answer apply arrange assemble assess assist audit automate balance
    book brief build calculate care change check clean close coach code collaborate collect communicate compile
    complete conduct configure consult contribute cook coordinate count create debug define deliver deploy design
    develop diagnose direct discuss document draft drive edit educate enforce engage ensure escalate establish
    estimate evaluate execute explain extract facilitate file fill follow forecast foster gather greet guide handle
    help identify implement improve include inspect install integrate interpret interview investigate keep label
    launch lead liaise load log maintain manage measure mentor model monitor motivate negotiate observe operate
    order organise organize outline oversee pack participate partner patch perform pick plan plate prepare present
    prioritize prioritise process procure produce program promote protect provide publish purchase query reconcile
    record recognise recognize recommend recruit refresh reconcile reply report represent research resolve respond
    restock review rotate run schedule screen secure select serve service set share ship source stock streamline
    supervise support take teach test track train translate troubleshoot tune update upgrade use validate verify
    welcome work write
    accueillir accompagner agir analyser animer appuyer assurer collaborer communiquer concevoir conseiller
    contribuer coordonner créer documenter effectuer élaborer encadrer entretenir établir évaluer favoriser former
    fournir gérer identifier informer intervenir maintenir mettre nettoyer observer offrir organiser participer
    planifier préparer produire réaliser recueillir rédiger répondre respecter soutenir suivre superviser tenir
    traiter valider veiller vérifier
""".split())


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)


def _key(text: str) -> str:
    """A heading or field label as looked up: lower case, markup and trailing colon gone, '&' read as 'and'."""
    text = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3) or "", text)
    text = re.sub(r"^[^\w(¿¡]+", "", text)  # leading emoji, '#', bullets
    text = text.strip().rstrip(":").strip().replace("&", "and")
    return _SPACES.sub(" ", text).lower()


def _plain(text: str) -> str:
    """The text a partner sees: markdown emphasis and heading marks removed."""
    text = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3) or "", text)
    text = re.sub(r"^#{1,6}\s+", "", text)
    return _SPACES.sub(" ", text.strip(" *_\t")).strip()


def _first_word(text: str) -> str:
    match = re.match(r"[^\W\d_]+(?:-[^\W\d_]+)?", text)
    return match.group(0).lower() if match else ""


def _starts_with_verb(text: str, *, gerund: bool = True) -> bool:
    word = _first_word(text)
    if not word:
        return False
    if word in _VERBS:
        return True
    # third person ("Builds", "Supervises", "Applies") and gerunds ("Designing", "Setting up", "Preparing")
    stems = []
    if word.endswith("s"):
        stems += [word[:-1], word[:-2], word[:-3] + "y"]
    if gerund and word.endswith("ing") and len(word) > 5:
        base = word[:-3]
        stems += [base, base + "e", base[:-1] if len(base) > 2 and base[-1] == base[-2] else base]
    return any(stem in _VERBS for stem in stems)


def _sentences(text: str) -> list[str]:
    """Split prose into sentences; never inside parentheses, after an abbreviation or before a lower-case word."""
    out: list[str] = []
    start = 0
    depth = 0
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch in ".!?" and depth == 0:
            j = i + 1
            while j < n and text[j] in ".!?\"'»”*_)":
                j += 1
            if j < n and text[j].isspace():
                k = j
                while k < n and text[k].isspace():
                    k += 1
                nxt = text[k] if k < n else ""
                before = re.search(r"([\w.]+)$", text[max(start, i - 12):i])
                word = before.group(1).lower() if before else ""
                abbreviated = ch == "." and (word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", word or "-"))
                if nxt and (nxt.isupper() or nxt.isdigit() or nxt in "«\"“(*¿¡") and not abbreviated:
                    out.append(text[start:j].strip())
                    start = k
                    i = k
                    continue
        i += 1
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


@dataclass(frozen=True)
class PostingLine:
    """One line (or one sentence of a paragraph) of a posting, as the reader understood it.

    Attributes
    ----------
    text : str
        The line as the partner reads it, without its bullet or markup.
    kind : {"requirement", "nice_to_have", "duty", "boilerplate"}
        What the line is; only the first three are scored.
    why : str
        Why the reader gave it that kind, in a few words ("under “Nice to have”", "salary or pay", …).
    section : str
        The heading the line sits under, as written ("" when none).
    line : int
        Line number in the posting text (1-based) where the line starts.
    screening : str or None
        For a requirement or nice-to-have that asks for something a micro-credential cannot show (a degree or
        diploma, a language, a licence or professional registration, a background check, the right to work,
        vaccinations, lifting): what it asks for ("education", "language", …). Such lines keep their kind but
        are not scored by default: the partner checks them on the résumé. ``None`` for every other line.
    """

    text: str
    kind: LineKind
    why: str
    section: str
    line: int
    screening: str | None = None

    @property
    def scored(self) -> bool:
        """Whether the line is scored by default (a requirement, nice-to-have or duty that credentials can show)."""
        return self.kind != "boilerplate" and self.screening is None


@dataclass(frozen=True)
class PostingReading:
    """Everything the reader read from one posting, in posting order.

    Attributes
    ----------
    lines : tuple of PostingLine
    """

    lines: tuple[PostingLine, ...]

    def of_kind(self, kind: LineKind) -> list[PostingLine]:
        """The lines of one kind, in posting order."""
        return [p for p in self.lines if p.kind == kind]

    @property
    def scored(self) -> list[PostingLine]:
        """The lines scored by default."""
        return [p for p in self.lines if p.scored]

    def requirements(self, *, use: Iterable[int] | None = None, must_have: Iterable[int] = ()) -> list[Requirement]:
        """The :class:`Requirement` list to search with.

        Parameters
        ----------
        use
            Positions in :attr:`lines` to score; default: every scored line. A boilerplate line chosen here is
            scored as a requirement (the partner overruled the reader).
        must_have
            Positions the partner marked must-have.

        Returns
        -------
        list of Requirement
            In posting order.
        """
        chosen = {i for i, p in enumerate(self.lines) if p.scored} if use is None else set(use)
        must = set(must_have)
        out: list[Requirement] = []
        for i, p in enumerate(self.lines):
            if i in chosen:
                kind = p.kind if p.kind != "boilerplate" else "requirement"
                out.append(Requirement(p.text, kind, i in must))
        return out


@dataclass
class _Raw:
    text: str  # without the bullet
    bullet: bool
    line: int
    blank_before: bool


def _logical_lines(posting: str) -> list[_Raw]:
    """Non-blank lines with their bullets recognised and lines wrapped mid-sentence joined back."""
    out: list[_Raw] = []
    blank = True
    for number, raw in enumerate(_norm(posting).replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        stripped = raw.strip().replace("\u200b", "").replace("\ufeff", "")
        if not stripped:
            blank = True
            continue
        bullet = _BULLET.match(stripped)
        body = stripped[bullet.end():].strip() if bullet else stripped
        if not body:
            continue
        prev = out[-1] if out else None
        if (prev is not None and not blank and not bullet and body[0].islower()
                and not prev.text.endswith((".", "!", "?", ":", ";"))
                and (prev.text.count("(") > prev.text.count(")") or prev.text.endswith((",", "(", "&", "/", "-"))
                     or len(prev.text) >= 40
                     or re.search(r"\b(?:and|or|of|the|to|in|with|for|a|an)$", prev.text, _I))):
            prev.text = f"{prev.text} {body}"
            continue
        out.append(_Raw(body, bool(bullet), number, blank))
        blank = False
    return out


def _heading(raw: _Raw, next_raw: _Raw | None, first: bool) -> tuple[str, str | None] | None:
    """``(heading as shown, category or None)`` when the line is a heading, else ``None``."""
    text = raw.text
    if raw.bullet:
        return None
    md = _MD_HEADING.match(text) or _MD_BOLD_LINE.match(text)
    key = _key(text)
    shown = _plain(text).rstrip(":").strip()
    words = len(key.split())
    if not key or not _LETTER.search(key):
        return None
    category = _HEADING_CATEGORY.get(key)
    if category is None and words <= 6 and re.match(r"^(?:about|à propos de|a propos de)\s+\S", key) \
            and key not in ("about you",):
        category = "about the employer"
    if category is not None:
        return shown, category
    terminal = text.rstrip("*_ ").endswith((".", "!", "?", ";", ","))
    letters = [c for c in text if c.isalpha()]
    shaped = (
        (md is not None and words <= 10)
        or (text.endswith(":") and words <= 8 and not terminal)
        or (not terminal and words <= 8 and len(letters) >= 6 and all(c.isupper() for c in letters)
            and (words >= 2 or first))
        or (not terminal and words <= 6 and next_raw is not None and next_raw.bullet and not first
            and ":" not in text and not _reads_like_an_ask(shown, words))
    )
    if not shaped:
        return None
    if first:
        return shown, None
    return shown, next((cat for cat, pattern in _HEADING_WORDS if pattern.search(key)), None)


def _reads_like_an_ask(text: str, words: int) -> bool:
    """"Comfortable with SQL joins" before a list is an ask without its bullet; "Skills & tools" is a heading."""
    return words >= 4 and (_REQ_START.match(text) is not None or _starts_with_verb(text, gerund=False))


def _field(sentence: str) -> str | None:
    """Why a "Label: value" line is not scored, when its label is a job-detail field."""
    match = _FIELD_LINE.match(sentence)
    if not match:
        return None
    return _FIELD_WHY.get(_key(match.group(1)))


def _boilerplate_cue(text: str, *, title: str) -> str | None:
    """Why the line is boilerplate whatever section it is in, or ``None``."""
    folded = text.casefold().rstrip(".")
    if title and folded == title.casefold():
        return "job title"
    why = _field(text)
    if why is not None:
        return why
    if _CONTACT.match(text):
        return "how to apply"
    if _APPLY.search(text):
        return "how to apply"
    if _POSTING_LANGUAGE.search(text):
        return "language of the posting"
    asks = _starts_with_verb(text) or _REQ_START.match(text) is not None
    if _EQUITY.search(text) or (_EQUITY_GROUPS.search(text) and _EQUITY_GROUP_CONTEXT.search(text)) or (
            not asks and _EQUITY_TOPIC.search(text)):
        return "equal-opportunity or accessibility statement"
    if _PAY.search(text) and not asks:
        return "salary or pay"
    if _AVAILABILITY.search(text):
        return "schedule"
    if _STREET.search(text) or _POSTAL.search(text) or _FR_STREET.search(text) or (
            _CITY.match(text) and len(text.split()) <= 10):
        return "location or address"
    if asks:
        return None
    words = len(text.split())
    if _BENEFIT.search(text) and (_BENEFIT_CONTEXT.search(text) or words <= 12):
        return "pay and benefits"
    if _DATE.search(text) and (words <= 12 or _DATE_CONTEXT.search(text)):
        return "date"
    if _SCHEDULE_STRONG.search(text) or (words <= 12 and _SCHEDULE.search(text)):
        return "schedule"
    # "hybrid", "in person" say where the job is only in a short line or an aside ("Toronto (hybrid)"), not in
    # "Calm manner with patients on the phone and in person".
    mode = _WORK_MODE.search(text)
    if mode and (words <= 6 or mode.start() == 0 or "(" in text[: mode.start()]):
        return "schedule"
    return None


def _by_wording(text: str, bullet: bool) -> tuple[LineKind, str]:
    """Kind of a line under no known heading, from its own words."""
    if _REQ_START.match(text) or re.match(r"^you('ll| will) (?:have|bring|need)\b", text, _I):
        return "requirement", "reads like a skill or credential asked for"
    # A gerund opens a task in a list ("Designing data models") but a clause in prose ("Reporting to the
    # Controller, the clerk …").
    if _DUTY_ANY.search(text) or _starts_with_verb(text, gerund=bullet):
        return "duty", "reads like a task of the job"
    if _REQ_ANY.search(text):
        return "requirement", "reads like a skill or credential asked for"
    if bullet:
        return "requirement", "a listed item"
    return "boilerplate", "introduction or closing remark"


def _looks_like_title(text: str, bullet: bool, n_sentences: int) -> bool:
    """A posting's first line is its title when it is short and not a sentence; "Lead Data Analyst" is a title
    (capitalised), "Write SQL queries against a data warehouse" is not (a task, in lower case)."""
    if bullet or n_sentences != 1 or len(text.split()) > 12 or text.endswith((".", "!", "?", ":")):
        return False
    if _field(text) is not None:
        return False
    small = {"a", "an", "and", "or", "of", "the", "to", "in", "for", "with", "on", "at", "de", "la", "le", "et"}
    lower = [w for w in text.split()[1:] if w[:1].islower() and w not in small]
    return not (_starts_with_verb(text, gerund=False) and lower)


def read_posting(posting: str, *, title: str = "") -> PostingReading:
    """Read a job posting line by line; see the module notes for how each line is judged.

    Parameters
    ----------
    posting
        The posting's text (pasted, or read from a file by :mod:`mosaics_match.inputs.posting_text`).
    title
        The job title when known (a saved posting's); a line that is just the title is boilerplate.

    Returns
    -------
    PostingReading
        Every line with letters in it, in posting order (empty for an empty posting).
    """
    raws = _logical_lines(posting or "")
    out: list[PostingLine] = []
    section = ""
    category: str | None = None
    section_has_bullets = False
    title = _SPACES.sub(" ", _norm(title or "")).strip()
    for n, raw in enumerate(raws):
        if len(out) >= MAX_UNITS:
            break
        if not _LETTER.search(raw.text):
            continue
        first = not out
        head = _heading(raw, raws[n + 1] if n + 1 < len(raws) else None, first)
        if head is not None:
            shown, cat = head
            is_title = first and cat is None
            out.append(PostingLine(shown, "boilerplate", "job title" if is_title else "heading", section, raw.line))
            if not is_title:
                section, category, section_has_bullets = shown, cat, False
            continue
        text = raw.text
        inline = _FIELD_LINE.match(text) if not raw.bullet else None
        if inline is not None and _HEADING_CATEGORY.get(_key(inline.group(1))) in (*SCORED_KINDS, "intro") \
                and _field(text) is None and inline.group(2).strip():
            section, category, section_has_bullets = _plain(inline.group(1)), _HEADING_CATEGORY[
                _key(inline.group(1))], False
            text = inline.group(2).strip()
        if raw.bullet:
            section_has_bullets = True
        elif raw.blank_before and section_has_bullets and category in SCORED_KINDS:
            # Prose after a list, past a blank line: the list is over (closing remarks are not asks).
            category, section = None, ""
        units = [text] if raw.bullet else _sentences(text)
        for unit in units:
            shown = _plain(unit[: MAX_LINE_CHARS * 2])
            if len(shown) > MAX_LINE_CHARS:
                shown = shown[:MAX_LINE_CHARS].rstrip() + "…"
            if not _LETTER.search(shown):
                continue
            if first and _looks_like_title(shown, raw.bullet, len(units)):
                out.append(PostingLine(shown, "boilerplate", "job title", section, raw.line))
                first = False
                continue
            first = False
            kind, why = _judge(shown, raw.bullet, category, section, title)
            screening = screening_topic(shown) if kind in ("requirement", "nice_to_have") else None
            out.append(PostingLine(shown, kind, why, section, raw.line, screening))
    return PostingReading(tuple(out))


# --- asks that credentials cannot evidence -------------------------------------------------------------------
# Each pattern names the *thing asked for*, not a topic: "Explain results in plain language" is a skill,
# "Clear written and spoken English" a language; "a licensed child care setting" is a workplace, "Valid
# driver's licence" a licence. Checked in this order; the first match names the topic.
_LANGUAGE_NAMES = (r"english|french|fran[cç]ais|anglais|bilingual|bilingue|spanish|espagnol|portuguese|tamil|"
                   r"tagalog|mandarin|cantonese|punjabi|hindi|urdu|arabic|italian|german|korean|vietnamese|farsi|"
                   r"persian|somali|ukrainian|russian|polish|greek")
_SCREENING: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("background check", re.compile(
        r"\b(?:vulnerable sector|police (?:record |background |information )?check|criminal (?:record|background)"
        r"|background check|security clearance|reliability (?:status|security|clearance)|secret clearance"
        r"|cote de (?:fiabilit|s[ée]curit)|v[ée]rification (?:des ant[ée]c[ée]dents|d'ant[ée]c[ée]dents|du "
        r"casier|de s[ée]curit[ée]))", re.I)),
    ("right to work", re.compile(
        r"\b(?:(?:eligib\w*|entitled|authori[sz]ed|permit(?:ted)?) to work|work permit|canadian citizen\w*"
        r"|permanent resident|citizenship)\b", re.I)),
    ("language", re.compile(
        rf"\b(?:(?:{_LANGUAGE_NAMES})\b(?![-\u2011]|\s+(?:literature|curriculum|program)\b)|second language"
        r"|other languages?"
        r"|languages? spoken|ma[iî]trise du|langue seconde)", re.I)),
    ("licence or registration", re.compile(
        r"\b(?:driver'?s?'? licen[cs]e|driving licen[cs]e|class [a-z]\d? licen[cs]e|g2? licen[cs]e"
        r"|permis de conduire|(?:trade|journeyperson|red seal|electrical|plumbing|gas fitter)\b[^.;]{0,40}"
        r"\blicen[cs]e|\d{3}[a-z] licen[cs]e|licen[cs]ed (?:as|by) "
        r"|registration (?:with|in good standing|as an?|to practi[cs]e)"
        r"|(?:professional|provincial) registration|registered (?:with|member|nurse|practical nurse)"
        r"|in good standing|membership\b|inscription\b|membre en r[èe]gle|ordre des)", re.I)),
    ("education", re.compile(
        r"\b(?:degree|diploma|bachelor'?s?|master'?s|ph\.? ?d|mba|post-?secondary|high school|secondary school"
        r"|secondary \(high\) school|ged\b|college certificate|university|dipl[oô]me|baccalaur[ée]at|ma[iî]trise en"
        r"|doctorat|(?-i:DEC|DES|D\.E\.C\.|D\.E\.S\.)|[ée]tudes (?:secondaires|coll[ée]giales|universitaires))\b",
        re.I)),
    ("vaccinations", re.compile(r"\b(?:immuni[sz]ations?|vaccinat\w*|vaccines?|tb (?:test|skin test)|tuberculosis)\b",
                                re.I)),
    ("physical", re.compile(r"\b(?:lift|carry|push|pull)\w*\b[^.;]{0,30}\b\d+\s?(?:lbs?|pounds|kg|kilos?)\b",
                            re.I)),
)


def screening_topic(text: str) -> str | None:
    """What a requirement line asks for that a micro-credential cannot show, or ``None``.

    "A diploma or degree in statistics" asks for education, "Clear written and spoken English" for a language,
    "Valid driver's licence" for a licence, "A clear vulnerable sector check" for a background check. A partner
    checks these on the résumé; scored against micro-credentials they can only be matched by shared words
    (a degree "in statistics" to a statistics competency, "registration" to event registration) and would be
    shown as covered or missing on no evidence.
    """
    clause = text[:MAX_LINE_CHARS]
    for topic, pattern in _SCREENING:
        if pattern.search(clause):
            return topic
    return None


def _main_clause(text: str) -> str:
    """The line without a second clause or a long aside: "Excellent written English; another language is an
    asset" and "1 to 3 years in marketing (agency experience is a plus)" are requirements, "SQL (preferred)" is
    not."""
    text = text.split(";")[0]
    return re.sub(r"\(([^()]*)\)", lambda m: m.group(0) if len(m.group(1).split()) <= 3 else "", text)


def _judge(text: str, bullet: bool, category: str | None, section: str, title: str) -> tuple[LineKind, str]:
    """Kind of one line and why, from its own cues first and then from the section it is in."""
    why = _boilerplate_cue(text, title=title)
    if why is not None:
        return "boilerplate", why
    if category is not None and category not in (*SCORED_KINDS, "intro"):
        return "boilerplate", category
    if _NICE.search(_main_clause(text)) or _NICE_START.match(text):
        return "nice_to_have", "stated as optional"
    if category in SCORED_KINDS:
        return category, f"under “{section}”"
    kind, why = _by_wording(text, bullet)
    if category == "intro" and why == "a listed item":
        # A list under "About the role" is what the job involves.
        return "duty", f"listed under “{section}”"
    return kind, why
