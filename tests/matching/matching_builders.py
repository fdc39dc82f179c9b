"""Small builders for the matching-engine tests: a portfolio written in a few lines."""

from datetime import date
from decimal import Decimal

from schwifty import IBAN
from stdnum.iso7064 import mod_97_10

from odoo.addons.rental_flow_bank.engines.matching import (
    BankLine,
    CandidateIndex,
    LeaseInfo,
    MatchingEngine,
    OpenItem,
    Party,
    VirtualIban,
)

MASTER = IBAN.generate("FR", bank_code="17338", branch_code="00001", account_code="1").compact


def viban(number):
    """A virtual IBAN of the test pool."""
    return IBAN.generate(
        "FR", bank_code="17338", branch_code="00003", account_code=f"{number:011d}"
    ).compact


def personal_iban(number):
    """A tenant's or guarantor's IBAN."""
    return IBAN.generate(
        "FR", bank_code="30004", branch_code="00001", account_code=f"{number:011d}"
    ).compact


def rf(body):
    """ISO 11649 reference for ``body``."""
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


class Portfolio:
    """Leases and open items built step by step; ``index()`` builds the candidate index."""

    def __init__(self):
        self.leases = []
        self.items = []
        self.vibans = []
        self._next_item = 1

    def lease(
        self,
        lease_id,
        tenant,
        *,
        rent="700.00",
        months=3,
        guarantors=(),
        cotenants=(),
        state="running",
        property_id=None,
        viban_number=None,
        known_payers=(),
        tenant_ibans=(),
        hb_payer=None,
        hb_amount=None,
        hb_reference=None,
        deposit=None,
        with_viban=True,
    ):
        """Add a lease with ``months`` rent calls due on the 5th from January 2026."""
        code = f"L{lease_id:04d}"
        property_id = lease_id if property_id is None else property_id
        info = LeaseInfo(
            id=lease_id,
            code=code,
            property_id=property_id,
            property_name=f"Flat {property_id}",
            state=state,
            tenants=(Party(tenant, 100 + lease_id, ibans=tuple(tenant_ibans)),),
            cotenants=tuple(Party(n) for n in cotenants),
            guarantors=tuple(Party(n) for n in guarantors),
            housing_benefit_payer=hb_payer,
            housing_benefit_amount=None if hb_amount is None else Decimal(hb_amount),
            housing_benefit_reference=hb_reference,
            rent_amount=Decimal(rent),
            known_payers=tuple(known_payers),
        )
        self.leases.append(info)
        for month in range(1, months + 1):
            tenant_share = Decimal(rent) - (Decimal(hb_amount) if hb_amount else 0)
            self.item(
                lease_id,
                "rent",
                tenant_share,
                date(2026, month, 5),
                f"RENT/2026/{month:02d}/{lease_id:04d}",
                rf(f"{code}2026{month:02d}"),
            )
            if hb_amount:
                self.item(
                    lease_id,
                    "housing_benefit",
                    Decimal(hb_amount),
                    date(2026, month, 5),
                    f"CAF/2026/{month:02d}/{lease_id:04d}",
                    rf(f"A{code}2026{month:02d}"),
                )
        if deposit:
            self.item(
                lease_id,
                "deposit",
                Decimal(deposit),
                date(2026, 1, 1),
                f"DEP/2026/{lease_id:04d}",
                rf(f"D{code}"),
            )
        if with_viban and not any(v.property_id == property_id for v in self.vibans):
            number = property_id if viban_number is None else viban_number
            self.vibans.append(
                VirtualIban(
                    viban(number), property_id, f"Flat {property_id}", date_from=date(2025, 1, 1)
                )
            )
        return info

    def item(self, lease_id, kind, amount, due, number, reference=""):
        """Add an open item."""
        item = OpenItem(
            id=self._next_item,
            lease_id=lease_id,
            kind=kind,
            amount_residual=Decimal(amount),
            amount_total=Decimal(amount),
            due_date=due,
            number=number,
            payment_reference=reference,
        )
        self._next_item += 1
        self.items.append(item)
        return item

    def items_of(self, lease_id, kind="rent"):
        """Open items of a lease and kind, oldest first."""
        return [i for i in self.items if i.lease_id == lease_id and i.kind == kind]

    def index(self):
        """Build the candidate index."""
        return CandidateIndex.build(self.items, self.leases, self.vibans, master_ibans=[MASTER])

    def run(self, *lines, rules=None, currency="EUR"):
        """Match lines; return their results in order."""
        return MatchingEngine(rules, company_currency=currency).run(lines, self.index())

    def one(self, line, **kwargs):
        """Match one line; return its result."""
        return self.run(line, **kwargs)[0]


_line_ids = iter(range(1, 10**9))


def line(
    amount,
    *,
    day=date(2026, 1, 6),
    payer="",
    payer_iban=None,
    credited=MASTER,
    text="",
    reference=None,
    currency="EUR",
    line_id=None,
):
    """A bank line."""
    return BankLine(
        id=next(_line_ids) if line_id is None else line_id,
        amount=Decimal(amount),
        date=day,
        currency=currency,
        payer_name=payer,
        payer_iban=payer_iban,
        credited_iban=credited,
        remittance=text,
        structured_reference=reference,
    )


def codes(result):
    """Reason codes of a result (proposal reasons, blockers and notes)."""
    found = []
    if result.proposal is not None:
        found += [r.code for r in result.proposal.reasons + result.proposal.blockers]
    return found + [r.code for r in result.notes]


def allocated(result):
    """``{item id: amount}`` of a result's best proposal."""
    return {a.item_id: a.amount for a in result.proposal.allocations}
