"""Lists kept as data: the substances a drug test panel reports and the
triggers a patient can name in a daily check-in."""

# (code, label). The common urine panels (5- to 12-panel immunoassays) plus
# breath/EtG alcohol and the medications for opioid use disorder, whose
# positives are often expected.
SUBSTANCES = [
    ("alcohol", "Alcohol (breath or EtG)"),
    ("amphetamines", "Amphetamines"),
    ("methamphetamine", "Methamphetamine"),
    ("benzodiazepines", "Benzodiazepines"),
    ("barbiturates", "Barbiturates"),
    ("buprenorphine", "Buprenorphine"),
    ("cannabis", "Cannabis (THC)"),
    ("cocaine", "Cocaine"),
    ("fentanyl", "Fentanyl"),
    ("methadone", "Methadone"),
    ("opiates", "Opiates (morphine, codeine, heroin)"),
    ("oxycodone", "Oxycodone"),
    ("mdma", "MDMA (ecstasy)"),
    ("pcp", "Phencyclidine (PCP)"),
    ("xylazine", "Xylazine"),
]
SUBSTANCE_LABELS = dict(SUBSTANCES)
STANDARD_PANEL = [
    "alcohol",
    "amphetamines",
    "benzodiazepines",
    "buprenorphine",
    "cannabis",
    "cocaine",
    "fentanyl",
    "methamphetamine",
    "opiates",
    "oxycodone",
]

TRIGGERS = [
    ("stress", "Stress at work, school or home"),
    ("conflict", "An argument or conflict"),
    ("lonely", "Feeling lonely or isolated"),
    ("bored", "Boredom"),
    ("tired", "Tired, hungry or unwell"),
    ("people", "People I used with"),
    ("places", "Places where I used"),
    ("saw_substance", "Seeing alcohol or drugs"),
    ("celebration", "A celebration or party"),
    ("money", "Money worries"),
    ("pain", "Pain"),
    ("memories", "Painful memories"),
]
TRIGGER_LABELS = dict(TRIGGERS)
MOOD_WORDS = {0: "very low", 3: "low", 5: "okay", 7: "good", 10: "very good"}
