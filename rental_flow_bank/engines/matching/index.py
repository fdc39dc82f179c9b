"""In-memory indexes over open items and leases, built once per matching run.

:meth:`CandidateIndex.build` reads everything the rules need into dictionaries keyed by
virtual IBAN, reference, invoice number, lease code, housing-benefit file number, payer
IBAN, confirmed payer name, amount in cents and name token. A rule looks a line up in
these dictionaries; nothing scans all items or all tenants per line.

Names are found through token postings (``DUPONT`` → the parties whose name holds that
word), family-name postings, and, for a misspelt word absent from the vocabulary, a
rapidfuzz edit-distance search restricted to the vocabulary words that share its first or
last two letters. The per-line cost therefore depends on how common the payer's words are,
not on the number of leases or open items.

Residuals change while a run reconciles lines: they live in a :class:`Ledger` (one per run,
from :meth:`CandidateIndex.new_ledger`) so the index itself is never modified.
"""

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from .model import (
    KINDS,
    LEASE_STATES,
    BankLine,
    LeaseInfo,
    MatchingInputError,
    OpenItem,
    Party,
    VirtualIban,
    to_cents,
)
from .text import compact, compact_iban, lastname_tokens, name_tokens, tokens

LEVEL_EXACT = "exact"
LEVEL_SUBSET = "subset"
LEVEL_FUZZY = "fuzzy"
LEVEL_INITIAL = "initial"
LEVEL_SURNAME = "surname"
#: Name-match levels, strongest first.
LEVELS = (LEVEL_EXACT, LEVEL_SUBSET, LEVEL_FUZZY, LEVEL_INITIAL, LEVEL_SURNAME)
_LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}

#: Longest run of words joined when looking for a reference in free text.
MAX_REFERENCE_WORDS = 8
#: Amount index of sums of the k oldest open items, for k up to this value.
MAX_INDEXED_MONTHS = 3


@dataclass
class MatchStats:
    """Work counters of a run, to check that the cost per line stays bounded."""

    lines: int = 0
    rule_calls: int = 0
    lookups: int = 0
    items_examined: int = 0
    name_postings: int = 0
    name_candidates: int = 0
    fuzzy_choices: int = 0


@dataclass(frozen=True)
class PartyEntry:
    """A party of a lease as stored in the name index."""

    lease_id: int
    role: str
    name: str
    tokens: tuple
    token_set: frozenset
    lastnames: frozenset
    first_letters: frozenset
    sorted_key: str


@dataclass(frozen=True)
class NameHit:
    """A party whose name matches a payer name, with the level and similarity (0-100)."""

    party: PartyEntry
    level: str
    similarity: int


def _key_of(words):
    return " ".join(sorted(words))


def _check(condition, message):
    if not condition:
        raise MatchingInputError(message)


class CandidateIndex:
    """Indexes over open items and leases. Build it with :meth:`build`."""

    def __init__(self):
        self.leases = {}
        self.items = {}
        self.lease_items = {}
        self.initial_residual = {}
        self.by_reference = defaultdict(list)
        self.by_number = defaultdict(list)
        self.by_lease_code = defaultdict(list)
        self.by_hb_reference = defaultdict(list)
        self.reference_words = 1
        self.vibans = defaultdict(list)
        self.master_ibans = frozenset()
        self.leases_by_property = defaultdict(list)
        self.payer_ibans = defaultdict(list)
        self.known_names = defaultdict(set)
        self.hb_ibans = defaultdict(set)
        self.hb_names = defaultdict(set)
        self.hb_name_tokens = defaultdict(set)
        self.parties = []
        self.by_token = defaultdict(list)
        self.by_lastname = defaultdict(list)
        self.vocab_blocks = defaultdict(list)
        self.posting_sets = {}
        self.posting_keys = {}
        self.amount_items = defaultdict(list)
        self.amount_sums = defaultdict(set)
        self._similar_cache = {}

    # ------------------------------------------------------------------ build
    @classmethod
    def build(cls, items, leases, virtual_ibans=(), *, master_ibans=()):
        """Validate and index ``items`` (:class:`OpenItem`), ``leases`` (:class:`LeaseInfo`)
        and ``virtual_ibans`` (:class:`VirtualIban`, the pool with its assignments).

        ``master_ibans`` are the agency's own accounts: a line credited to one of them has
        no virtual IBAN. Raises :class:`MatchingInputError` on malformed input.
        """
        index = cls()
        index.master_ibans = frozenset(compact_iban(i) for i in master_ibans)
        for lease in leases:
            index._add_lease(lease)
        for item in items:
            index._add_item(item)
        for viban in virtual_ibans:
            index._add_viban(viban)
        index._finish()
        return index

    def _add_lease(self, lease):
        _check(isinstance(lease, LeaseInfo), f"not a LeaseInfo: {lease!r}")
        _check(lease.id not in self.leases, f"lease {lease.id}: duplicate id")
        _check(bool(lease.code), f"lease {lease.id}: empty code")
        _check(lease.state in LEASE_STATES, f"lease {lease.id}: unknown state {lease.state!r}")
        self.leases[lease.id] = lease
        self.by_lease_code[compact(lease.code)].append(lease.id)
        if lease.property_id is not None:
            self.leases_by_property[lease.property_id].append(lease.id)
        if lease.housing_benefit_reference:
            self.by_hb_reference[compact(lease.housing_benefit_reference)].append(lease.id)
        for role, party in lease.parties():
            _check(isinstance(party, Party), f"lease {lease.id}: {role} is not a Party")
            self._add_party(lease.id, role, party)
            for iban in party.ibans:
                self.payer_ibans[compact_iban(iban)].append((lease.id, role, party.name))
        for payer in lease.known_payers:
            if payer.iban:
                self.payer_ibans[compact_iban(payer.iban)].append((lease.id, "known", ""))
            words = name_tokens(payer.name or "")[0]
            if words:
                self.known_names[_key_of(words)].add(lease.id)
        hb_payer = lease.housing_benefit_payer
        if hb_payer is not None:
            _check(isinstance(hb_payer, Party), f"lease {lease.id}: benefit payer not a Party")
            words = name_tokens(hb_payer.name)[0]
            if words:
                key = _key_of(words)
                self.hb_names[key].add(lease.id)
                for word in words:
                    self.hb_name_tokens[word].add(key)
            for iban in hb_payer.ibans:
                self.hb_ibans[compact_iban(iban)].add(lease.id)

    def _add_party(self, lease_id, role, party):
        words, _initials = name_tokens(party.name)
        if not words:
            return
        lastnames = frozenset(lastname_tokens(party.name, party.lastname)) & frozenset(words)
        others = [w for w in words if w not in lastnames]
        entry = PartyEntry(
            lease_id=lease_id,
            role=role,
            name=party.name,
            tokens=tuple(words),
            token_set=frozenset(words),
            lastnames=lastnames,
            first_letters=frozenset(w[0] for w in others),
            sorted_key=_key_of(words),
        )
        position = len(self.parties)
        self.parties.append(entry)
        for word in words:
            self.by_token[word].append(position)
        for word in lastnames:
            if len(word) >= 3:
                self.by_lastname[word].append(position)

    def _add_item(self, item):
        _check(isinstance(item, OpenItem), f"not an OpenItem: {item!r}")
        _check(item.id not in self.items, f"item {item.id}: duplicate id")
        _check(item.lease_id in self.leases, f"item {item.id}: unknown lease {item.lease_id}")
        _check(item.kind in KINDS, f"item {item.id}: unknown kind {item.kind!r}")
        _check(item.due_date is not None, f"item {item.id}: no due date")
        _check(bool(item.currency), f"item {item.id}: no currency")
        residual = to_cents(item.amount_residual, f"item {item.id}")
        _check(residual >= 0, f"item {item.id}: negative residual {item.amount_residual}")
        self.items[item.id] = item
        self.initial_residual[item.id] = residual
        if item.payment_reference:
            self._add_reference(self.by_reference, item.payment_reference, item.id)
        if item.number:
            self._add_reference(self.by_number, item.number, item.id)

    def _add_reference(self, table, text, item_id):
        words = tokens(text)
        key = "".join(words)
        if len(key) >= 4:
            table[key].append(item_id)
            if len(words) > self.reference_words:
                self.reference_words = min(MAX_REFERENCE_WORDS, len(words))

    def _add_viban(self, viban):
        _check(isinstance(viban, VirtualIban), f"not a VirtualIban: {viban!r}")
        iban = compact_iban(viban.iban)
        _check(bool(iban), "virtual IBAN: empty value")
        if viban.date_from and viban.date_to:
            _check(viban.date_from <= viban.date_to, f"virtual IBAN {iban}: dates reversed")
        self.vibans[iban].append(viban)

    def _finish(self):
        if self.by_lease_code or self.by_hb_reference:
            # codes such as "L0042" are often written "L 0042" or "L-0042"
            self.reference_words = max(self.reference_words, 3)
        grouped = defaultdict(list)
        for item in self.items.values():
            grouped[(item.lease_id, item.kind)].append(item)
        for group_key, group in grouped.items():
            group.sort(key=lambda i: (i.due_date, i.id))
            self.lease_items[group_key] = tuple((i.id, i.due_date, i.currency) for i in group)
            open_rows = [i for i in group if self.initial_residual[i.id] > 0]
            for item in open_rows:
                self.amount_items[self.initial_residual[item.id]].append(item.id)
            total = 0
            for count, item in enumerate(open_rows[:MAX_INDEXED_MONTHS], 1):
                total += self.initial_residual[item.id]
                if count > 1:
                    self.amount_sums[total].add(group_key)
        for assignments in self.vibans.values():
            assignments.sort(key=lambda v: (v.date_from is not None, v.date_from))
        for word, positions in self.by_token.items():
            self.vocab_blocks[word[:2]].append(word)
            self.vocab_blocks["$" + word[-2:]].append(word)
            self.posting_sets[word] = frozenset(positions)
            self.posting_keys[word] = [self.parties[p].sorted_key for p in positions]

    # ----------------------------------------------------------------- lookups
    def new_ledger(self):
        """Return a fresh :class:`Ledger` holding the residuals as built."""
        return Ledger(self)

    def lookup_references(self, text_tokens):
        """Find references in free text: payment references, invoice numbers, lease codes
        and housing-benefit file numbers, also when the payer split them with spaces.

        Returns a list of ``(kind, key, ids)`` with kind ``reference``, ``number``,
        ``lease_code`` or ``hb_reference``; ids are item ids (first two) or lease ids.
        """
        found = []
        seen = set()
        tables = (
            ("reference", self.by_reference),
            ("number", self.by_number),
            ("lease_code", self.by_lease_code),
            ("hb_reference", self.by_hb_reference),
        )
        count = len(text_tokens)
        digits = [any(c.isdigit() for c in token) for token in text_tokens]
        for start in range(count):
            key = ""
            has_digit = False
            for end in range(start, min(count, start + self.reference_words)):
                key += text_tokens[end]
                has_digit = has_digit or digits[end]
                if len(key) < 4 or not has_digit or key in seen:
                    continue
                seen.add(key)
                for kind, table in tables:
                    ids = table.get(key)
                    if ids:
                        found.append((kind, key, tuple(ids)))
        return found

    def viban_assignment(self, iban, day):
        """Return ``(assignment, current)`` for a credited IBAN at a date, or ``None``.

        ``current`` is false when the IBAN's assignment ended before ``day`` (a payer still
        using an old virtual IBAN).
        """
        assignments = self.vibans.get(iban)
        if not assignments:
            return None
        latest = None
        for assignment in assignments:
            starts = assignment.date_from is None or assignment.date_from <= day
            ends = assignment.date_to is None or day <= assignment.date_to
            if starts and ends:
                return assignment, True
            if starts:
                latest = assignment
        return (latest or assignments[0]), False

    def hb_payer_leases(self, words, iban):
        """Leases whose housing-benefit payer is the line's payer (by IBAN or by name)."""
        leases = set(self.hb_ibans.get(iban, ())) if iban else set()
        if words:
            key = _key_of(words)
            leases |= self.hb_names.get(key, set())
            if not leases:
                keys = set()
                for word in words:
                    keys |= self.hb_name_tokens.get(word, set())
                for other in keys:
                    if fuzz.ratio(key, other) >= 90:
                        leases |= self.hb_names[other]
        return leases

    def _similar_words(self, word, stats):
        cached = self._similar_cache.get(word)
        if cached is not None:
            return cached
        block = set(self.vocab_blocks.get(word[:2], ())) | set(
            self.vocab_blocks.get("$" + word[-2:], ())
        )
        max_distance = 1 if len(word) <= 6 else 2
        choices = [w for w in block if abs(len(w) - len(word)) <= max_distance]
        stats.fuzzy_choices += len(choices)
        found = tuple(
            match
            for match, _distance, _i in process.extract(
                word, choices, scorer=OSA.distance, score_cutoff=max_distance, limit=None
            )
        )
        if len(self._similar_cache) < 100_000:
            self._similar_cache[word] = found
        return found

    def search_names(
        self,
        words,
        initials,
        stats,
        *,
        fuzzy_min=88,
        typos=True,
        surnames=True,
        max_scan=2000,
        surname_leases=None,
    ):
        """Find parties whose name matches a payer's name words and initials.

        Returns :class:`NameHit` objects, at most one per party, with level ``exact`` (same
        words), ``subset`` (the words of one name all in the other: a joint account, an extra
        first name), ``fuzzy`` (misspelt: each word within a small edit distance, or a
        rapidfuzz ratio >= ``fuzzy_min`` over the sorted words), ``initial`` (initial and
        family name) or ``surname`` (family name only: a relative or a joint account).
        ``surnames=False`` skips the last two levels; ``surname_leases`` (a set) restricts
        them to these leases. Only the postings of the payer's words are read; the ratio is
        computed by rapidfuzz over postings of at most ``max_scan`` parties.
        """
        if not words:
            return []
        found = {}
        self._full_name_hits(words, typos, found, stats)
        query = _key_of(words)
        for word in words:
            keys = self.posting_keys.get(word)
            if not keys or len(keys) > max_scan:
                continue
            positions = self.by_token[word]
            stats.fuzzy_choices += len(keys)
            for _key, similarity, offset in process.extract(
                query, keys, scorer=fuzz.ratio, score_cutoff=fuzzy_min, limit=None
            ):
                position = positions[offset]
                if position not in found:
                    found[position] = NameHit(self.parties[position], LEVEL_FUZZY, int(similarity))
        if surnames:
            self._surname_hits(words, initials, found, stats, surname_leases)
        return list(found.values())

    def _full_name_hits(self, words, typos, found, stats):
        """Parties holding every payer word (exactly or through a misspelling), and parties
        whose words are all among the payer's (joint accounts)."""
        postings = []
        all_exact = True
        for word in words:
            exact = self.posting_sets.get(word)
            if exact is not None:
                postings.append(exact)
                continue
            all_exact = False
            variants = self._similar_words(word, stats) if typos and len(word) >= 4 else ()
            postings.append(frozenset().union(*(self.posting_sets[v] for v in variants)))
        stats.name_postings += sum(len(p) for p in postings)
        ordered = sorted(postings, key=len)
        common = ordered[0].intersection(*ordered[1:]) if ordered[0] else ()
        query = None
        for position in common:
            entry = self.parties[position]
            size = len(entry.tokens)
            stats.name_candidates += 1
            if size == len(words):
                if all_exact:
                    found[position] = NameHit(entry, LEVEL_EXACT, 100)
                else:
                    query = query or _key_of(words)
                    similarity = int(fuzz.ratio(query, entry.sorted_key))
                    found[position] = NameHit(entry, LEVEL_FUZZY, similarity)
            elif len(words) >= 2:
                level = LEVEL_SUBSET if all_exact else LEVEL_FUZZY
                found[position] = NameHit(entry, level, 100 if all_exact else 90)
        if len(words) >= 3:
            word_set = set(words)
            exact_postings = [self.posting_sets[w] for w in words if w in self.posting_sets]
            for first, second in combinations(exact_postings, 2):
                for position in first & second:
                    entry = self.parties[position]
                    stats.name_candidates += 1
                    if position not in found and entry.token_set <= word_set:
                        found[position] = NameHit(entry, LEVEL_SUBSET, 100)

    def _surname_hits(self, words, initials, found, stats, leases=None):
        initials = set(initials)
        for word in words:
            for position in self.by_lastname.get(word, ()):
                if position in found:
                    continue
                entry = self.parties[position]
                if leases is not None and entry.lease_id not in leases:
                    continue
                stats.name_candidates += 1
                if (
                    initials
                    and initials <= entry.first_letters
                    and all(w in entry.token_set for w in words)
                ):
                    found[position] = NameHit(entry, LEVEL_INITIAL, 100)
                else:
                    found[position] = NameHit(entry, LEVEL_SURNAME, 100)


def level_rank(level):
    """Rank of a name level, 0 for the strongest."""
    return _LEVEL_RANK[level]


class Ledger:
    """Residuals of open items during one run (integer cents)."""

    def __init__(self, index):
        self.index = index
        self.residual = dict(index.initial_residual)
        self._moved = defaultdict(list)
        self._moved_sums = defaultdict(set)

    def open_items(self, lease_id, kind, currency, stats):
        """Open items of a lease and kind in ``currency``: ``(item_id, residual, due_date)``
        tuples, oldest first."""
        rows = self.index.lease_items.get((lease_id, kind), ())
        stats.items_examined += len(rows)
        residual = self.residual
        return [
            (item_id, residual[item_id], due)
            for item_id, due, item_currency in rows
            if residual[item_id] > 0 and item_currency == currency
        ]

    def has_open(self, lease_id, kind):
        """Tell whether a lease has an open item of a kind."""
        rows = self.index.lease_items.get((lease_id, kind), ())
        return any(self.residual[item_id] > 0 for item_id, _due, _cur in rows)

    def apply(self, allocations):
        """Reduce residuals by ``(item_id, cents)`` allocations (a reconciliation)."""
        for item_id, cents in allocations:
            left = self.residual[item_id] - cents
            if left < 0:
                raise MatchingInputError(f"item {item_id}: allocation exceeds its residual")
        groups = set()
        for item_id, cents in allocations:
            self.residual[item_id] -= cents
            item = self.index.items[item_id]
            groups.add((item.lease_id, item.kind))
            if self.residual[item_id] > 0:
                self._moved[self.residual[item_id]].append(item_id)
        for group in groups:
            total = 0
            open_ids = [i for i, _d, _c in self.index.lease_items[group] if self.residual[i] > 0]
            for count, item_id in enumerate(open_ids[:MAX_INDEXED_MONTHS], 1):
                total += self.residual[item_id]
                if count > 1:
                    self._moved_sums[total].add(group)

    def items_with_amount(self, cents):
        """Open items whose current residual equals ``cents``."""
        residual = self.residual
        base = self.index.amount_items.get(cents, ())
        moved = self._moved.get(cents, ())
        return list(dict.fromkeys(i for i in (*base, *moved) if residual[i] == cents))

    def leases_with_sum(self, cents):
        """``(lease_id, kind)`` pairs whose 2 or 3 oldest open items may add up to ``cents``
        (a superset: callers re-check with the current residuals)."""
        return self.index.amount_sums.get(cents, set()) | self._moved_sums.get(cents, set())


def line_problems(line):
    """Return a list of problems with a :class:`BankLine` (empty when it is well formed)."""
    problems = []
    if not isinstance(line, BankLine):
        return [f"not a BankLine: {line!r}"]
    try:
        to_cents(line.amount, f"line {line.id}")
    except MatchingInputError as exc:
        problems.append(str(exc))
    if line.date is None:
        problems.append(f"line {line.id}: no date")
    if not line.currency:
        problems.append(f"line {line.id}: no currency")
    return problems
