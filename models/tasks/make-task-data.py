#!/usr/bin/env python3
"""Labelled task data from public-domain text, for models/tasks-kjv-check.sh.

classify: King James Bible verses (the `bible` command, package bible-kjv-text) labelled with the division of the
Bible their book belongs to (law, history, poetry, prophecy, gospel, epistle); training and held-out verses come from
different chapters.
ner and qa: sentences in the King James style built from templates, with people and places from the Bible's name
lists placed in them; the held-out set uses names and templates the training set never shows.

Writes train.jsonl and heldout.jsonl (quill task eval's format) into the folder given.
"""
import json, random, re, subprocess, sys

out = sys.argv[1] if len(sys.argv) > 1 else "."
rng = random.Random(7)

DIVISIONS = {
    "law": ["Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy"],
    "history": ["Joshua", "Judges", "Ruth", "1 Samuel", "2 Samuel", "1 Kings", "2 Kings", "1 Chronicles", "2 Chronicles", "Ezra",
                "Nehemiah", "Esther"],
    "poetry": ["Job", "Psalms", "Proverbs", "Ecclesiastes", "Song of Solomon"],
    "prophecy": ["Isaiah", "Jeremiah", "Lamentations", "Ezekiel", "Daniel", "Hosea", "Joel", "Amos", "Obadiah", "Jonah", "Micah",
                 "Nahum", "Habakkuk", "Zephaniah", "Haggai", "Zechariah", "Malachi"],
    "gospel": ["Matthew", "Mark", "Luke", "John"],
    "epistle": ["Romans", "1 Corinthians", "2 Corinthians", "Galatians", "Ephesians", "Philippians", "Colossians", "1 Thessalonians",
                "2 Thessalonians", "1 Timothy", "2 Timothy", "Titus", "Philemon", "Hebrews", "James", "1 Peter", "2 Peter", "1 John",
                "2 John", "3 John", "Jude"],
}
DIVISION_OF = {book: d for d, books in DIVISIONS.items() for book in books}
LABELS = list(DIVISIONS)

def verses():
    text = subprocess.run(["bible", "-l1000000", "gen1:1-rev22:21"], capture_output=True, text=True, check=True).stdout
    book = chapter = None
    for line in text.splitlines():
        heading = re.match(r"^(\S.*) (\d+)$", line)
        if heading:
            book, chapter = heading.group(1), int(heading.group(2))
            continue
        verse = re.match(r"^ +\d+ (.*)$", line)
        if verse and book in DIVISION_OF:
            yield book, chapter, verse.group(1)

classify_train, classify_heldout = [], []
by_division = {d: [] for d in LABELS}
for book, chapter, text in verses():
    if 40 <= len(text) <= 160:
        by_division[DIVISION_OF[book]].append((chapter, text))
for division, items in by_division.items():
    rng.shuffle(items)
    # Held-out verses come from chapters whose number is a multiple of 5; training verses from the others.
    held = [t for c, t in items if c % 5 == 0][:25]
    train = [t for c, t in items if c % 5 != 0][:150]
    classify_heldout += [{"task": "classify", "text": t, "labels": LABELS, "label": division} for t in held]
    classify_train += [{"task": "classify", "text": t, "labels": LABELS, "label": division} for t in train]

PEOPLE = ["Abraham", "Isaac", "Jacob", "Joseph", "Moses", "Aaron", "Joshua", "Caleb", "Gideon", "Samson", "Samuel", "Saul", "David",
          "Solomon", "Elijah", "Elisha", "Jonathan", "Absalom", "Nathan", "Boaz", "Ruth", "Naomi", "Esther", "Mordecai", "Daniel",
          "Ezra", "Nehemiah", "Jeremiah", "Hezekiah", "Josiah", "Deborah", "Miriam", "Rebekah", "Rachel", "Leah", "Hannah", "Eli",
          "Jethro", "Laban", "Esau", "Reuben", "Benjamin", "Judah", "Levi", "Ephraim", "Manasseh", "Barak", "Jehu", "Ahab", "Jezebel",
          "Uriah", "Bathsheba", "Joab", "Abner", "Ishmael", "Lot", "Noah", "Enoch", "Methuselah", "Seth", "Timothy", "Silas",
          "Barnabas", "Stephen", "Philip", "Andrew", "Thomas", "Matthew", "Zacchaeus", "Nicodemus", "Lazarus", "Martha"]
PLACES = ["Egypt", "Jerusalem", "Bethlehem", "Jericho", "Babylon", "Nineveh", "Hebron", "Gilead", "Bashan", "Sinai", "Canaan",
          "Bethel", "Shechem", "Samaria", "Galilee", "Nazareth", "Capernaum", "Damascus", "Tyre", "Sidon", "Moab", "Edom", "Gaza",
          "Shiloh", "Ramah", "Beersheba", "Gibeah", "Mizpeh", "Joppa", "Tarshish", "Antioch", "Ephesus", "Corinth", "Philippi",
          "Carmel", "Hermon", "Jordan", "Lebanon", "Zoar", "Gerar"]
people, places = PEOPLE[:], PLACES[:]
rng.shuffle(people)
rng.shuffle(places)
HELD_PEOPLE, TRAIN_PEOPLE = people[:15], people[15:]
HELD_PLACES, TRAIN_PLACES = places[:8], places[8:]

# Made-up names in the same style widen the training names, so the model learns to copy a name rather than to
# remember a few: a fine-tuned model that saw only 57 people fails on the held-out ones.
SYLLABLES = ["a", "ab", "el", "i", "jo", "na", "ben", "ze", "ra", "mi", "ha", "sha", "ki", "dan", "u", "ri", "ah", "on", "ith", "ar"]
def made_up(count, endings):
    names = set()
    while len(names) < count:
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) + rng.choice(endings)
        names.add(name.capitalize())
    return sorted(names - set(PEOPLE) - set(PLACES))
TRAIN_PEOPLE += made_up(300, ["", "el", "ah", "am"])
TRAIN_PLACES += made_up(150, ["on", "ath", "ah", "im"])

# {p} person, {q} second person, {l} place, {m} second place.
TEMPLATES = [
    "And {p} went up from {l} unto {m}.",
    "Then {p} arose and dwelt in {l} many days.",
    "And {p} said unto {q}, Get thee out of {l}.",
    "And it came to pass, that {p} came to {l}, and {q} was with him.",
    "Now {p} was in {l} when {q} heard these words.",
    "And {p} sent messengers unto {q} in {l}.",
    "So {p} departed from {l}, and pitched in {m}.",
    "And the men of {l} brought {p} unto {q}.",
    "And {p} built an altar in {l}.",
    "In those days {p} reigned in {l}, and {q} was his servant.",
    "And {q} blessed {p} in {m}.",
    "And {p} fled from {l} and came to {m}.",
]
HELD_TEMPLATES = [
    "After these things {p} journeyed toward {l}, and {q} followed him.",
    "And when {p} was come into {l}, {q} met him by the way.",
    "Behold, {p} abode in {l} until the day that {q} died.",
]
QUESTIONS = [("Who went up from {l}?", "p", "And {p} went up from {l} unto {m}."),
             ("Whither went {p}?", "m", "And {p} went up from {l} unto {m}."),
             ("Where dwelt {p}?", "l", "Then {p} arose and dwelt in {l} many days."),
             ("Who was with {p}?", "q", "And it came to pass, that {p} came to {l}, and {q} was with him."),
             ("Where did {p} build an altar?", "l", "And {p} built an altar in {l}."),
             ("Who blessed {p}?", "q", "And {q} blessed {p} in {m}."),
             ("Whither fled {p}?", "m", "And {p} fled from {l} and came to {m}.")]
HELD_QUESTIONS = [("Who followed {p}?", "q", "After these things {p} journeyed toward {l}, and {q} followed him."),
                  ("Who met {p}?", "q", "And when {p} was come into {l}, {q} met him by the way."),
                  ("Where abode {p}?", "l", "Behold, {p} abode in {l} until the day that {q} died.")]

def fill(template, names, places):
    p, q = rng.sample(names, 2)
    l, m = rng.sample(places, 2)
    values = {"p": p, "q": q, "l": l, "m": m}
    return template.format(**values), values

def ner(templates, names, places, count):
    result = []
    for _ in range(count):
        template = rng.choice(templates)
        text, v = fill(template, names, places)
        order = sorted(((template.index("{" + k + "}"), k) for k in "pqlm" if "{" + k + "}" in template))
        entities = [{"entity": "person" if k in "pq" else "place", "word": v[k]} for _, k in order]
        result.append({"task": "ner", "text": text, "types": ["person", "place"], "entities": entities})
    return result

def qa(questions, names, places, count):
    result = []
    for _ in range(count):
        question, slot, template = rng.choice(questions)
        text, v = fill(template, names, places)
        result.append({"task": "qa", "context": text, "question": question.format(**v), "answer": v[slot]})
    return result

train = classify_train + ner(TEMPLATES, TRAIN_PEOPLE, TRAIN_PLACES, 1200) + qa(QUESTIONS, TRAIN_PEOPLE, TRAIN_PLACES, 1200)
heldout = (classify_heldout + ner(TEMPLATES, HELD_PEOPLE, HELD_PLACES, 40) + ner(HELD_TEMPLATES, HELD_PEOPLE, HELD_PLACES, 40)
           + qa(QUESTIONS, HELD_PEOPLE, HELD_PLACES, 40) + qa(HELD_QUESTIONS, HELD_PEOPLE, HELD_PLACES, 40))
rng.shuffle(train)
for name, rows in (("train.jsonl", train), ("heldout.jsonl", heldout)):
    with open(f"{out}/{name}", "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
print(f"{len(train)} training and {len(heldout)} held-out examples in {out}")
