"""Known first-name variants: English nicknames and common transliteration spellings.

A modest, hand-written table: it only has to catch the forms that recur in author lists
("Bill"/"William", "Sergei"/"Sergey", "Juergen"/"Jurgen"). Names are folded ASCII.
"""

from __future__ import annotations

from functools import lru_cache

# Each line is one group of interchangeable forms.
_GROUPS = """
william bill will billy willy liam
robert bob rob bobby robbie bert
richard rick dick rich ricky
james jim jimmy jamie
john jack johnny jon
jonathan jon jonny
joseph joe joey jose
thomas tom tommy
michael mike mick mikey mikhail michail
christopher chris kit
christina chris tina christine kristina
daniel dan danny
david dave davy
edward ed eddie ted ned
alexander alex sasha alexandr aleksandr aleksander alessandro alejandro
alexandra alex sasha aleksandra
alexey alexei aleksei aleksey alexej
anthony tony antonio anton
andrew andy drew andrei andrey andrej andreas
benjamin ben benny
charles charlie chuck carl karl
elizabeth liz beth betty eliza lisa elisabeth
katherine kate kathy katie catherine kathryn katharina ekaterina yekaterina
margaret maggie meg peggy
matthew matt matthias mathias
nicholas nick nicolas nikolaus nikolai nikolay nicolai
patrick pat
peter pete pyotr petr pietro pierre
samuel sam sammy
stephen steve steven stefan stephan stepan
timothy tim timmy
jennifer jen jenny
jessica jess jessie
rebecca becky
susan sue susie suzanne
gregory greg grigory grigori
jeffrey jeff geoffrey
joshua josh
kenneth ken kenny
lawrence larry laurence lorenzo
leonard leo len lenny
nathaniel nate nathan
raymond ray
ronald ron ronnie
donald don donny
douglas doug
frederick fred freddie friedrich
gerald jerry gerry
harold harry hal
henry hank harry heinrich
philip phil phillip filip
zachary zach zack
victoria vicky
deborah debbie deb
barbara barb
abigail abby
albert al bert
arthur art artur
francis frank francesco francisco franz
eugene gene evgeny evgenii yevgeny evgeniy
theodore ted theo teddy fyodor
jacob jake jakob yakov
vincent vince vincenzo
walter walt
sergei sergey serguei sergej sergio
yuri yury yurii iouri jurij juri
dmitri dmitry dmitrii dimitri dimitrios
vladimir vlad volodymyr
maxim maksim max maximilian
ivan ioannis john
mikhail misha
valery valeri valerii valeriy
vitaly vitali vitalii vitaliy
anatoly anatoli anatolii
konstantin constantin constantine kostas
georgy georgii george jorge giorgio georg
pavel paul pablo paolo
jurgen juergen
"""


def _build() -> dict[str, frozenset[int]]:
    index: dict[str, set[int]] = {}
    for number, line in enumerate(_GROUPS.strip().splitlines()):
        for name in line.split():
            index.setdefault(name, set()).add(number)
    return {name: frozenset(groups) for name, groups in index.items()}


_INDEX = _build()


def transliteration_form(name: str) -> str:
    """A spelling-neutral form: German umlaut digraphs, -ii/-iy/-i endings, ks/x, ph/f."""
    form = name.replace("ae", "a").replace("oe", "o").replace("ue", "u")
    form = form.replace("ks", "x").replace("ph", "f").replace("kh", "h")
    for ending in ("iy", "ii", "yi", "ij", "ej"):
        if form.endswith(ending) and len(form) > 4:
            form = form[: -len(ending)] + "y"
            break
    else:
        if form.endswith("i") and len(form) > 4:
            form = form[:-1] + "y"
    return form


def variant_keys(name: str) -> tuple[str, ...]:
    """Keys that any two names `are_variants` share at least one of: their groups, and their
    spelling-neutral form when both are long enough to be compared by it."""
    keys = [f"group:{number}" for number in sorted(_INDEX.get(name, ()))]
    if len(name) > 3:
        keys.append(f"spelling:{transliteration_form(name)}")
    return tuple(keys)


@lru_cache(maxsize=65536)
def are_variants(a: str, b: str) -> bool:
    """True for two different folded first names known to be one name (symmetric)."""
    if a == b:
        return False
    if _INDEX.get(a, frozenset()) & _INDEX.get(b, frozenset()):
        return True
    return len(a) > 3 and len(b) > 3 and transliteration_form(a) == transliteration_form(b)
