"""Synthetic rental portfolio and bank lines for the matching-engine benchmark.

:func:`build_dataset` builds, from a fixed seed, a portfolio of leases (tenants, co-tenants,
guarantors, some with a housing benefit paid by the CAF, some with a deposit still to pay),
six months of open rent calls per lease, one virtual IBAN per property (schwifty) and bank
lines of these kinds (shares of the issue):

=============  =====  ==================================================================
category       share  what the line carries
=============  =====  ==================================================================
reference       40 %  the tenant pays one call with its RF reference (in the reference
                      field or in the text), its rent-call number or the lease code
third_party     25 %  someone else or a mangled name, no reference: a guarantor, a parent
                      (same family name), a joint account ("M OU MME DUPONT"), a
                      misspelt name or initials, or the CAF paying the benefit share
partial         10 %  the tenant pays part of the oldest call, no reference
two_months      10 %  the tenant pays the two oldest calls at once, no reference
no_info         10 %  a rent payment with no reference and a payer name that names nobody
                      ("VIREMENT SEPA", an unrelated company) from an unknown account
noise            5 %  matches nothing: refunds, bank fees (debits), a foreign currency
=============  =====  ==================================================================

Every line carries its ground truth (:class:`Truth`: lease, kind of item, allocations,
credit), computed by simulating each lease's payments in date order with the allocation
rule the issue states (the item named by the payer, else an item whose residual equals the
amount, else the oldest items first). ``no_info`` lines cannot be recognised without a
virtual IBAN; noise lines have no truth.

:meth:`Dataset.lines_with_virtual_ibans` gives the same lines credited, for a share of them,
to their property's virtual IBAN (noise lines: a vacant property's IBAN or an IBAN outside
the pool); the others are credited to the master account.

Run it to print a summary: ``python3 bench/matching_dataset.py``.
"""

import json
import os
import random
import sys
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from schwifty import IBAN
from stdnum.iso7064 import mod_97_10

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import use_repo_addons  # noqa: E402

use_repo_addons()

from odoo.addons.rental_flow_bank.engines.matching import (  # noqa: E402
    BankLine,
    KnownPayer,
    LeaseInfo,
    OpenItem,
    Party,
    VirtualIban,
)

SURNAMES = """
Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefèvre
Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent
Muller Lefebvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand
Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier Masson
Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun Blanchard Giraud
Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche Renard Schmitt Roy
Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier
Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq Guillaume Lecomte López
Jean Dupuy Guillot Hubert Berger Carpentier Sánchez Dupuis Moulin Louis Deschamps Huet Vasseur
Perez Boucher Fleury Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot Carré Charles
Renault Charpentier Ménard Maillard Baron Bertin Bailly Hervé Schneider Fernandez Le Gall
Collet Léger Bouvier Julien Prévost Millet Perrot Daniel Le Roux Cousin Germain Breton Besson
Langlois Rémy Le Goff Pelletier Lévêque Perrier Leblanc Barré Lebrun Marchal Weber Mallet
Hamon Boulanger Jacob Monnier Michaud Rodriguez Guichard Gillet Étienne Grondin Poulain
Tessier Chevallier Collin Chauvin Da Silva Bouchet Gay Lemaître Bénard Maréchal Humbert Reynaud
Antoine Hoarau Perret Barthélémy Cordier Pichon Lejeune Gilbert Lamy Delaunay Pasquier Carlier
Laporte Benali Haddad Bensaïd Mansouri Nguyen Tran Pham Diallo Traoré Diop Ferreira Pereira
Rodrigues Oliveira Santos Costa Gomes Martins Kowalski Nowak Rossi Russo Romano Esposito
Belkacem Chérif Hamidi Amrani Kaddour Bouzid Cissé Camara Sylla Koné Ouattara Leconte Texier
Riviere Delmas Bousquet Vidalie Castaing Labbé Chartier Lemercier Gosselin Jourdan Hardy
Verdier Lecoq Poncet Brunel Devaux Lebreton Guillou Riou Tanguy Kerbrat Quéré Cadiou Morvan
""".split("\n")

FIRST_NAMES = """
Jean Marie Pierre Michel Philippe Alain Nathalie Isabelle Sylvie Catherine Françoise Nicolas
Christophe Stéphane Laurent Frédéric Sébastien Julien David Olivier Patrick Thierry Éric
Sandrine Valérie Christine Céline Aurélie Émilie Julie Camille Léa Manon Chloé Sarah Inès
Lucas Hugo Louis Gabriel Arthur Jules Adam Raphaël Léo Nathan Thomas Maxime Antoine Alexandre
Quentin Romain Kévin Florian Guillaume Benjamin Mathieu Vincent Anthony Jérôme Cédric Damien
Hélène Anne Sophie Claire Laure Élodie Mélanie Audrey Caroline Virginie Stéphanie Delphine
Agathe Margaux Pauline Charlotte Clara Lucie Zoé Jade Louise Alice Lina Rose Anna Ambre Juliette
Yasmine Nadia Karima Fatima Samira Leïla Mohamed Karim Mehdi Rachid Youssef Bilal Sofiane
Amadou Moussa Aïssata Fatoumata Mamadou Ibrahima Minh Linh Thi Hoang Joao Ana Maria Paulo
Bruno Didier Pascal Gilles Dominique Daniel Bernard Gérard Jacques Claude Monique Martine
Brigitte Chantal Josiane Colette Odile Bérénice Gaëlle Maëlle Noémie Solène Océane Anaïs
Justine Marion Morgane Mathilde Margot Élise Victor Paul Baptiste Clément Théo Enzo Mathis Noah
Yanis Rayan Ethan Tom Axel Loïc Yann Gwenaël Erwan Ronan Tanguy Corentin Killian Dylan
""".split("\n")

CAF_PAYERS = (
    "CAF DE PARIS",
    "CAF DU RHONE",
    "CAF DES BOUCHES DU RHONE",
    "CAF DE LA GIRONDE",
    "CAF DU NORD",
    "CAF DE LA HAUTE GARONNE",
    "CAF DE LOIRE ATLANTIQUE",
    "CAF DES HAUTS DE SEINE",
)
GENERIC_PAYERS = (
    "VIREMENT SEPA",
    "VIR SEPA RECU",
    "VIREMENT INSTANTANE",
    "VIR INST RECU",
    "REMISE VIREMENT",
    "VIREMENT RECU",
)
UNRELATED_COMPANIES = (
    "ALPHA LOGISTIQUE SAS",
    "NEXIA CONSEIL SARL",
    "SOCIETE NEPTUNE TRANSPORTS",
    "BATI OUEST SARL",
    "ATELIERS DU LITTORAL",
    "GROUPE HEXAGONE SERVICES",
    "CABINET ORION",
    "SAS TECHNIVAL",
)
NOISE_CREDITS = (
    ("REMBOURSEMENT AXA ASSURANCES", "REMBT SINISTRE {n}"),
    ("DGFIP", "REMBOURSEMENT TAXE FONCIERE {n}"),
    ("EDF ENTREPRISES", "AVOIR FACTURE {n}"),
    ("MAAF ASSURANCES", "INDEMNITE DOSSIER {n}"),
    ("SYNDIC GESTIMMO", "REGULARISATION COPROPRIETE {n}"),
    ("ORANGE SA", "REMBOURSEMENT TROP PERCU {n}"),
)
NOISE_DEBITS = (
    ("FRAIS TENUE DE COMPTE", "FRAIS MENSUELS"),
    ("COMMISSION INTERVENTION", "COMMISSION {n}"),
    ("PRLV SEPA ORANGE", "FACTURE {n}"),
    ("PRLV SEPA EDF", "ECHEANCE {n}"),
)
MONTHS = (
    "JANVIER",
    "FEVRIER",
    "MARS",
    "AVRIL",
    "MAI",
    "JUIN",
    "JUILLET",
    "AOUT",
    "SEPTEMBRE",
    "OCTOBRE",
    "NOVEMBRE",
    "DECEMBRE",
)
BANK_CODES = ("30004", "30003", "20041", "10278", "11315", "13335", "30066", "18206", "16006")

#: Shares of the issue (category → share of all lines).
MIX = (
    ("reference", 0.40),
    ("third_party", 0.25),
    ("partial", 0.10),
    ("two_months", 0.10),
    ("no_info", 0.10),
    ("noise", 0.05),
)

VIRTUAL_BANK = ("17338", "00003")


def _names(block):
    return [name.strip() for line in block for name in _split_names(line)]


def _split_names(line):
    """Split a line of names, keeping two-word names ("Le Gall", "Da Silva") together."""
    words = line.split()
    names, pending = [], ""
    for word in words:
        if word in ("Le", "Da"):
            pending = word + " "
            continue
        names.append(pending + word)
        pending = ""
    return names


SURNAME_LIST = sorted(set(_names(SURNAMES)))
FIRST_NAME_LIST = sorted(set(_names(FIRST_NAMES)))


def rf_reference(body):
    """ISO 11649 creditor reference for ``body`` (letters and digits)."""
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


@dataclass(frozen=True)
class Truth:
    """What a line really pays."""

    lease_id: int
    kind: str
    allocations: tuple
    unallocated: Decimal

    @property
    def allocated(self):
        """Total amount allocated."""
        return sum((amount for _item, amount in self.allocations), Decimal("0.00"))


@dataclass
class _Lease:
    info: LeaseInfo
    tenant: tuple  # (first name, surname)
    tenant_iban: str
    guarantor_ibans: dict
    monthly: int  # cents, rent + charges, before the housing benefit
    items: dict = field(default_factory=dict)  # kind -> list of OpenItem, oldest first
    residual: dict = field(default_factory=dict)  # item id -> cents


@dataclass
class Dataset:
    """A generated portfolio and its bank lines (scenario without virtual IBANs)."""

    leases: list
    items: list
    virtual_ibans: list
    master_iban: str
    lines: list
    truth: dict
    category: dict
    detail: dict
    lease_viban: dict
    vacant_vibans: list
    foreign_vibans: list
    seed: int

    def lines_with_virtual_ibans(self, share=0.8):
        """The same lines, a ``share`` of them credited to a virtual IBAN.

        Lines with a truth get their property's IBAN; noise lines get a vacant property's
        IBAN or an IBAN outside the pool. The other lines are credited to the master account.
        """
        rng = random.Random(self.seed + 1)
        lines = []
        for line in self.lines:
            if rng.random() >= share:
                lines.append(line)
                continue
            truth = self.truth[line.id]
            if truth is not None:
                iban = self.lease_viban[truth.lease_id]
            elif rng.random() < 0.5:
                iban = rng.choice(self.vacant_vibans)
            else:
                iban = rng.choice(self.foreign_vibans)
            lines.append(replace(line, credited_iban=iban))
        return lines

    def summary(self):
        """Counts describing the dataset."""
        by_category, by_detail = {}, {}
        for line in self.lines:
            by_category[self.category[line.id]] = by_category.get(self.category[line.id], 0) + 1
            by_detail[self.detail[line.id]] = by_detail.get(self.detail[line.id], 0) + 1
        kinds = {}
        for item in self.items:
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
        with_truth = sum(1 for t in self.truth.values() if t is not None)
        informative = sum(
            1
            for line in self.lines
            if self.truth[line.id] is not None and self.category[line.id] != "no_info"
        )
        return {
            "leases": len(self.leases),
            "open_items": len(self.items),
            "open_items_by_kind": kinds,
            "lines": len(self.lines),
            "lines_by_category": by_category,
            "lines_by_detail": by_detail,
            "lines_with_truth": with_truth,
            "lines_with_usable_information": informative,
        }


class _Generator:
    def __init__(self, seed, start, months):
        self.rng = random.Random(seed)
        self.start = start
        self.months = months
        self.next_partner = 1000
        self.next_item = 1
        self.next_iban = 1
        self.hb_numbers = set()
        self.guarantor_pool = []
        self.caf_parties = {}

    # ---------------------------------------------------------------- helpers
    def partner(self):
        self.next_partner += 1
        return self.next_partner

    def personal_iban(self):
        self.next_iban += 1
        bank = self.rng.choice(BANK_CODES)
        branch = f"{self.rng.randint(1, 99999):05d}"
        return IBAN.generate(
            "FR", bank_code=bank, branch_code=branch, account_code=f"{self.next_iban:011d}"
        ).compact

    def person(self, surname=None, avoid=()):
        while True:
            first = self.rng.choice(FIRST_NAME_LIST)
            if first not in avoid:
                return first, surname or self.rng.choice(SURNAME_LIST)

    @staticmethod
    def display(first, surname, capitals=False):
        return f"{surname.upper()} {first}" if capitals else f"{first} {surname}"

    def due(self, month_index):
        year = self.start.year + (self.start.month - 1 + month_index) // 12
        month = (self.start.month - 1 + month_index) % 12 + 1
        return date(year, month, 5)

    def cents(self, low, high, with_cents=True):
        euros = self.rng.randint(low, high)
        return euros * 100 + (self.rng.randint(0, 99) if with_cents else 0)

    def item(self, lease_id, kind, cents, due, number, reference, partner_id):
        item = OpenItem(
            id=self.next_item,
            lease_id=lease_id,
            kind=kind,
            amount_residual=Decimal(cents) / 100,
            amount_total=Decimal(cents) / 100,
            due_date=due,
            number=number,
            payment_reference=reference,
            partner_id=partner_id,
            period_start=due.replace(day=1),
        )
        self.next_item += 1
        return item

    # ----------------------------------------------------------------- leases
    def lease(self, lease_id, property_name):
        rng = self.rng
        code = f"L{lease_id:04d}"
        first, surname = self.person()
        tenant_iban = self.personal_iban()
        tenant = Party(
            self.display(first, surname, rng.random() < 0.2),
            self.partner(),
            ibans=(tenant_iban,) if rng.random() < 0.3 else (),
        )
        cotenants = ()
        if rng.random() < 0.25:
            co_surname = surname if rng.random() < 0.6 else None
            co_first, co_last = self.person(co_surname, avoid=(first,))
            cotenants = (Party(self.display(co_first, co_last), self.partner()),)
        guarantors, guarantor_ibans = [], {}
        count = rng.choices((0, 1, 2), weights=(30, 60, 10))[0]
        for _ in range(count):
            if self.guarantor_pool and rng.random() < 0.03:
                party, iban = rng.choice(self.guarantor_pool)
            else:
                same = rng.random() < 0.5
                g_first, g_last = self.person(surname if same else None, avoid=(first,))
                iban = self.personal_iban()
                party = Party(
                    self.display(g_first, g_last),
                    self.partner(),
                    ibans=(iban,) if rng.random() < 0.1 else (),
                )
                self.guarantor_pool.append((party, iban))
            if party not in guarantors:
                guarantors.append(party)
                guarantor_ibans[party.name] = iban
        rent = self.cents(380, 1600, with_cents=rng.random() < 0.4)
        charges = rng.choice((0, 20, 30, 35, 40, 45, 50, 60, 75, 80, 100, 120, 150)) * 100
        monthly = rent + charges
        hb_payer = hb_amount = hb_number = None
        if rng.random() < 0.15:
            caf_name = rng.choice(CAF_PAYERS)
            hb_payer = self.caf(caf_name)
            hb_amount = self.cents(80, 350)
            hb_number = self.hb_number()
        known = ()
        if rng.random() < 0.35:
            known = (KnownPayer(iban=tenant_iban, name=f"{surname.upper()} {first.upper()}"),)
        deposit = rent if rng.random() < 0.10 else None
        info = LeaseInfo(
            id=lease_id,
            code=code,
            property_id=lease_id,
            property_name=property_name,
            state="running",
            date_start=self.start - timedelta(days=rng.randint(0, 2000)),
            tenants=(tenant,),
            cotenants=cotenants,
            guarantors=tuple(guarantors),
            housing_benefit_payer=hb_payer,
            housing_benefit_amount=None if hb_amount is None else Decimal(hb_amount) / 100,
            housing_benefit_reference=hb_number,
            rent_amount=Decimal(monthly) / 100,
            deposit_amount=None if deposit is None else Decimal(deposit) / 100,
            known_payers=known,
        )
        lease = _Lease(info, (first, surname), tenant_iban, guarantor_ibans, monthly)
        self.lease_items(lease, hb_amount, deposit)
        return lease

    def caf(self, name):
        if name not in self.caf_parties:
            self.caf_parties[name] = Party(name, self.partner(), ibans=(self.personal_iban(),))
        return self.caf_parties[name]

    def hb_number(self):
        while True:
            number = f"{self.rng.randint(1000000, 9999999)}"
            if number not in self.hb_numbers:
                self.hb_numbers.add(number)
                return number

    def lease_items(self, lease, hb_amount, deposit):
        info = lease.info
        tenant_id = info.tenants[0].partner_id
        rent_items = []
        hb_items = []
        for month in range(self.months):
            due = self.due(month)
            period = f"{due.year}/{due.month:02d}"
            body = f"{info.code}{due.year}{due.month:02d}"
            tenant_share = lease.monthly - (hb_amount or 0)
            rent_items.append(
                self.item(
                    info.id,
                    "rent",
                    tenant_share,
                    due,
                    f"RENT/{period}/{info.id:04d}",
                    rf_reference(body),
                    tenant_id,
                )
            )
            if hb_amount:
                hb_items.append(
                    self.item(
                        info.id,
                        "housing_benefit",
                        hb_amount,
                        due,
                        f"CAF/{period}/{info.id:04d}",
                        rf_reference("A" + body),
                        info.housing_benefit_payer.partner_id,
                    )
                )
        lease.items["rent"] = rent_items
        lease.items["housing_benefit"] = hb_items
        lease.items["deposit"] = []
        if deposit:
            due = self.start
            lease.items["deposit"] = [
                self.item(
                    info.id,
                    "deposit",
                    deposit,
                    due,
                    f"DEP/{due.year}/{info.id:04d}",
                    rf_reference("D" + info.code),
                    tenant_id,
                )
            ]
        for group in lease.items.values():
            for item in group:
                lease.residual[item.id] = int(item.amount_residual * 100)

    # ------------------------------------------------------------------ lines
    def open_rows(self, lease, kind):
        return [i for i in lease.items[kind] if lease.residual[i.id] > 0]

    def settle(self, lease, kind, amount, line_date, named=None):
        """The allocation rule of the issue, simulated on the generator's own ledger."""
        rows = self.open_rows(lease, kind)
        if named is not None:
            allocations = [(named, min(amount, lease.residual[named.id]))]
        else:
            limit = line_date + timedelta(days=40)
            due_rows = [i for i in rows if i.due_date <= limit] or rows[:1]
            exact = [i for i in due_rows if lease.residual[i.id] == amount]
            if exact:
                allocations = [(exact[0], amount)]
            else:
                allocations, left = [], amount
                for item in due_rows:
                    if left <= 0:
                        break
                    part = min(left, lease.residual[item.id])
                    allocations.append((item, part))
                    left -= part
        spent = sum(part for _i, part in allocations)
        for item, part in allocations:
            lease.residual[item.id] -= part
        return Truth(
            lease.info.id,
            kind,
            tuple((item.id, Decimal(part) / 100) for item, part in allocations),
            Decimal(amount - spent) / 100,
        )

    def line_date(self, lease, item, cursor):
        proposed = item.due_date + timedelta(days=self.rng.randint(-4, 12))
        if cursor is not None and proposed <= cursor:
            proposed = cursor + timedelta(days=self.rng.randint(1, 5))
        return proposed

    def bank_name(self, first, surname):
        rng = self.rng
        forms = (
            f"{first} {surname}",
            f"{surname} {first}",
            f"M {first} {surname}",
            f"{surname.upper()} {first.upper()}",
            f"{first.upper()} {surname.upper()}",
        )
        return rng.choice(forms)

    def pick_kind(self, lease, category):
        """Which kind of item a line of ``category`` pays: a deposit still open, the
        housing-benefit share (the CAF is a third party), else the rent."""
        rng = self.rng
        if category in ("reference", "third_party", "no_info") and self.open_rows(lease, "deposit"):
            if rng.random() < 0.6:
                return "deposit"
        if category == "third_party" and self.open_rows(lease, "housing_benefit"):
            if rng.random() < 0.35:
                return "housing_benefit"
        return "rent"

    def plan_line(self, lease, category, cursor):
        """Return (payer fields, amount, kind, named item, detail, date) or None."""
        first, surname = lease.tenant
        kind = self.pick_kind(lease, category)
        open_rows = self.open_rows(lease, kind)
        if not open_rows or (category == "two_months" and len(open_rows) < 2):
            return None
        oldest = open_rows[0]
        date_ = self.line_date(lease, open_rows[1] if category == "two_months" else oldest, cursor)
        fields = {
            "payer_name": self.bank_name(first, surname),
            "payer_iban": lease.tenant_iban,
            "remittance": "",
            "structured_reference": None,
        }
        month = MONTHS[oldest.due_date.month - 1]
        planner = {
            "reference": self.reference_fields,
            "third_party": self.third_party_line,
            "partial": self.partial_fields,
            "two_months": self.two_months_fields,
            "no_info": self.no_info_fields,
        }[category]
        amount, named, detail = planner(lease, kind, fields, month, open_rows)
        return fields, amount, kind, named, detail, date_

    def reference_fields(self, lease, kind, fields, month, open_rows):
        """The tenant pays the oldest open call and names it (RF, number or lease code)."""
        rng = self.rng
        oldest = open_rows[0]
        named = oldest
        detail = rng.choices(("rf", "rf_text", "number", "lease_code"), weights=(55, 5, 25, 15))[0]
        words = "DEPOT DE GARANTIE" if kind == "deposit" else f"LOYER {month}"
        if detail == "rf":
            fields["structured_reference"] = oldest.payment_reference
            fields["remittance"] = rng.choice(("", words, "LOYER"))
        elif detail == "rf_text":
            ref = oldest.payment_reference
            spaced = " ".join(ref[i : i + 4] for i in range(0, len(ref), 4))
            fields["remittance"] = f"{words} {spaced}"
        elif detail == "number":
            fields["remittance"] = rng.choice(
                (f"{words} {oldest.number}", f"REGLEMENT {oldest.number}", oldest.number)
            )
        else:
            code = lease.info.code
            code = rng.choice((code, f"{code[0]} {code[1:]}", f"{code[0]}-{code[1:]}"))
            fields["remittance"] = f"{words} {code}"
            if kind == "rent":
                named = None  # the lease code names the lease, not the month
        return lease.residual[oldest.id], named, f"reference_{detail}"

    def third_party_line(self, lease, kind, fields, month, open_rows):
        """Someone else, or a mangled name, pays one month's amount."""
        oldest = open_rows[0]
        detail = self.third_party_fields(lease, kind, fields, month, oldest)
        return int(oldest.amount_total * 100), None, detail

    def partial_fields(self, lease, kind, fields, month, open_rows):
        """The tenant pays a round part of the oldest call."""
        rng = self.rng
        residual = lease.residual[open_rows[0].id]
        amount = max(1000, int(residual * rng.uniform(0.3, 0.9)) // 1000 * 1000)
        if amount >= residual:
            amount = residual // 2
        fields["remittance"] = rng.choice(
            ("ACOMPTE LOYER", "LOYER PARTIEL", "", f"LOYER {month}", "PARTIE LOYER")
        )
        return amount, None, "partial"

    def two_months_fields(self, lease, kind, fields, month, open_rows):
        """The tenant pays the two oldest calls at once."""
        amount = lease.residual[open_rows[0].id] + lease.residual[open_rows[1].id]
        following = MONTHS[open_rows[1].due_date.month - 1]
        fields["remittance"] = self.rng.choice(
            (f"LOYERS {month} ET {following}", "2 MOIS", "", f"LOYER {month} {following}")
        )
        return amount, None, "two_months"

    def no_info_fields(self, lease, kind, fields, month, open_rows):
        """A payment that names nobody: generic or unrelated payer, unknown account."""
        rng = self.rng
        if rng.random() < 0.6:
            fields["payer_name"] = rng.choice(GENERIC_PAYERS)
            fields["payer_iban"] = None if rng.random() < 0.5 else self.personal_iban()
        else:
            fields["payer_name"] = rng.choice(UNRELATED_COMPANIES)
            fields["payer_iban"] = self.personal_iban()
        fields["remittance"] = rng.choice(("", "LOYER", "VIREMENT", "REGLEMENT"))
        return int(open_rows[0].amount_total * 100), None, f"no_info_{kind}"

    def third_party_fields(self, lease, kind, fields, month, oldest):
        rng = self.rng
        first, surname = lease.tenant
        fields["payer_iban"] = self.personal_iban()
        fields["remittance"] = rng.choice(
            ("LOYER", f"LOYER {month}", "", "VIR LOYER", f"LOYER {month} {oldest.due_date.year}")
        )
        if kind == "deposit":
            fields["remittance"] = rng.choice(("DEPOT DE GARANTIE", "CAUTION", "DG"))
        if kind == "housing_benefit":
            caf = lease.info.housing_benefit_payer
            fields["payer_name"] = caf.name
            fields["payer_iban"] = caf.ibans[0]
            period = f"{oldest.due_date.month:02d}/{oldest.due_date.year}"
            name = f"{surname.upper()} {first.upper()}"
            if rng.random() < 0.7:
                ref = lease.info.housing_benefit_reference
                fields["remittance"] = f"APL {period} ALLOCATAIRE {ref} {name}"
            else:
                fields["remittance"] = f"AL {period} {name}"
            return "third_party_caf"
        choices = ["parent", "joint", "typo", "initials"]
        weights = [20, 20, 20, 5]
        if lease.info.guarantors:
            choices.append("guarantor")
            weights.append(25)
        detail = rng.choices(choices, weights=weights)[0]
        if detail == "guarantor":
            guarantor = rng.choice(lease.info.guarantors)
            g_first, g_surname = guarantor.name.split(" ", 1)
            fields["payer_name"] = self.bank_name(g_first, g_surname)
            fields["payer_iban"] = lease.guarantor_ibans[guarantor.name]
        elif detail == "parent":
            taken = {p.name.split(" ")[0] for _r, p in lease.info.parties()}
            parent_first, _ = self.person(surname, avoid=taken | {first})
            fields["payer_name"] = self.bank_name(parent_first, surname)
        elif detail == "joint":
            other, _ = self.person(surname, avoid=(first,))
            fields["payer_name"] = rng.choice(
                (
                    f"M OU MME {surname.upper()}",
                    f"M. ET MME {surname.upper()}",
                    f"M OU MME {surname.upper()} {first.upper()}",
                    f"{surname.upper()} {first.upper()} OU {other.upper()}",
                    f"EPOUX {surname.upper()}",
                )
            )
        elif detail == "typo":
            fields["payer_name"] = self.misspell(first, surname)
        else:
            fields["payer_name"] = rng.choice(
                (
                    f"{first[0]} {surname.upper()}",
                    f"{surname.upper()} {first[0]}.",
                    f"{first[0]}. {surname}",
                )
            )
        return f"third_party_{detail}"

    def misspell(self, first, surname):
        """One slip in the family or first name: a letter dropped, swapped or doubled;
        accents lost and capitals on top."""
        rng = self.rng
        target_surname = rng.random() < 0.7
        word = surname if target_surname else first
        letters = [c for c in word]
        position = rng.randrange(1, len(letters)) if len(letters) > 2 else 1
        slip = rng.choice(("drop", "swap", "double"))
        if slip == "drop" and len(letters) > 4:
            del letters[position]
        elif slip == "swap" and position < len(letters) - 1:
            letters[position], letters[position + 1] = letters[position + 1], letters[position]
        else:
            letters.insert(position, letters[position - 1])
        word = "".join(letters)
        if target_surname:
            surname = word
        else:
            first = word
        name = rng.choice((f"{first} {surname}", f"{surname} {first}"))
        return name.upper() if rng.random() < 0.7 else name


def _counts(n_lines):
    counts = {category: int(round(n_lines * share)) for category, share in MIX}
    counts["reference"] += n_lines - sum(counts.values())
    return counts


def check_outsider_names():
    """Raise ``ValueError`` if a payer name used for lines that name nobody (generic
    payers, unrelated companies, noise) holds a word of the tenants' name lists."""
    from odoo.addons.rental_flow_bank.engines.matching.text import name_tokens

    vocabulary = set()
    for name in (*SURNAME_LIST, *FIRST_NAME_LIST):
        vocabulary.update(name_tokens(name)[0])
    outsiders = (
        *GENERIC_PAYERS,
        *UNRELATED_COMPANIES,
        *(n for n, _t in NOISE_CREDITS),
        *(n for n, _t in NOISE_DEBITS),
    )
    for name in outsiders:
        clash = set(name_tokens(name)[0]) & vocabulary
        if clash:
            raise ValueError(f"outsider payer {name!r} holds name words {sorted(clash)}")


def build_dataset(n_leases=2500, months=6, n_lines=5000, seed=20260601, start=date(2026, 1, 1)):
    """Build a :class:`Dataset` (deterministic for a given ``seed``)."""
    if n_leases < 1 or months < 2 or n_lines < 1:
        raise ValueError("need at least one lease, two months and one line")
    check_outsider_names()
    gen = _Generator(seed, start, months)
    rng = gen.rng
    leases = [gen.lease(n, f"Flat {n}") for n in range(1, n_leases + 1)]
    vibans, lease_viban = [], {}
    for lease in leases:
        iban = IBAN.generate(
            "FR",
            bank_code=VIRTUAL_BANK[0],
            branch_code=VIRTUAL_BANK[1],
            account_code=f"{lease.info.property_id:011d}",
        ).compact
        vibans.append(
            VirtualIban(
                iban,
                lease.info.property_id,
                lease.info.property_name,
                date_from=start - timedelta(days=400),
            )
        )
        lease_viban[lease.info.id] = iban
    vacant = []
    for n in range(n_leases + 1, n_leases + 1 + max(5, n_leases // 100)):
        iban = IBAN.generate(
            "FR", bank_code=VIRTUAL_BANK[0], branch_code=VIRTUAL_BANK[1], account_code=f"{n:011d}"
        ).compact
        vibans.append(VirtualIban(iban, n, f"Flat {n} (vacant)", date_from=start))
        vacant.append(iban)
    foreign = [
        IBAN.generate(
            "FR",
            bank_code=VIRTUAL_BANK[0],
            branch_code=VIRTUAL_BANK[1],
            account_code=f"{90000000 + n:011d}",
        ).compact
        for n in range(10)
    ]
    master = IBAN.generate(
        "FR", bank_code=VIRTUAL_BANK[0], branch_code="00001", account_code="00000000001"
    ).compact

    counts = _counts(n_lines)
    matchable = [c for c, n in counts.items() if c != "noise" for _ in range(n)]
    rng.shuffle(matchable)
    per_lease = {}
    for category in matchable:
        per_lease.setdefault(rng.randrange(n_leases), []).append(category)
    planned = []  # (date, lease index, fields, amount, kind, named, detail, truth)
    leftovers = []
    for lease_index in sorted(per_lease):
        lease = leases[lease_index]
        cursor = None
        for category in per_lease[lease_index]:
            plan = gen.plan_line(lease, category, cursor)
            if plan is None:
                leftovers.append(category)
                continue
            fields, amount, kind, named, detail, line_date = plan
            truth = gen.settle(lease, kind, amount, line_date, named)
            cursor = line_date
            planned.append((line_date, category, detail, fields, amount, truth))
    while leftovers:
        category = leftovers.pop()
        lease = leases[rng.randrange(n_leases)]
        existing = [p[0] for p in planned if p[5] is not None and p[5].lease_id == lease.info.id]
        plan = gen.plan_line(lease, category, max(existing, default=None))
        if plan is None:
            leftovers.append(category)
            continue
        fields, amount, kind, named, detail, line_date = plan
        truth = gen.settle(lease, kind, amount, line_date, named)
        planned.append((line_date, category, detail, fields, amount, truth))
    last_day = gen.due(months) + timedelta(days=20)
    for _ in range(counts["noise"]):
        roll = rng.random()
        line_date = start + timedelta(days=rng.randint(0, (last_day - start).days))
        number = f"{rng.randint(10000, 99999)}"
        if roll < 0.2:
            name, text = rng.choice(NOISE_DEBITS)
            amount = -gen.cents(5, 90)
            detail, currency = "noise_debit", "EUR"
        else:
            name, text = rng.choice(NOISE_CREDITS)
            amount = gen.cents(15, 2500)
            detail, currency = "noise_credit", "EUR"
            if roll > 0.9:
                detail, currency = "noise_currency", "USD"
        fields = {
            "payer_name": name,
            "payer_iban": gen.personal_iban(),
            "remittance": text.format(n=number),
            "structured_reference": None,
        }
        planned.append((line_date, "noise", detail, fields, amount, None, currency))
    planned.sort(key=lambda p: p[0])
    lines, truth, category, detail = [], {}, {}, {}
    for line_id, plan in enumerate(planned, 1):
        line_date, cat, det, fields, amount, line_truth = plan[:6]
        currency = plan[6] if len(plan) > 6 else "EUR"
        lines.append(
            BankLine(
                id=line_id,
                amount=Decimal(amount) / 100,
                date=line_date,
                currency=currency,
                credited_iban=master,
                end_to_end_id=f"E2E{line_id:08d}" if rng.random() < 0.3 else "NOTPROVIDED",
                **fields,
            )
        )
        truth[line_id] = line_truth
        category[line_id] = cat
        detail[line_id] = det
    items = [item for lease in leases for group in lease.items.values() for item in group]
    return Dataset(
        leases=[lease.info for lease in leases],
        items=items,
        virtual_ibans=vibans,
        master_iban=master,
        lines=lines,
        truth=truth,
        category=category,
        detail=detail,
        lease_viban=lease_viban,
        vacant_vibans=vacant,
        foreign_vibans=foreign,
        seed=seed,
    )


if __name__ == "__main__":
    dataset = build_dataset()
    json.dump(dataset.summary(), sys.stdout, indent=2, sort_keys=True)
    print()
