"""Demo data of the bank side: direct-debit mandates with a collection run, and today's
bank statement matched by the engine (reconciled, in review, unmatched)."""

from datetime import timedelta
from decimal import Decimal

from schwifty import IBAN
from stdnum.eu import at_02

from odoo import api, fields, models

from ..engines.statement_types import ParsedLine

#: Demo leases paid by direct debit (xml ids of rental_flow's demo).
DIRECT_DEBIT_LEASES = ("demo_lease_3", "demo_lease_8", "demo_lease_13")


class RentalDemo(models.AbstractModel):
    _inherit = "rental.demo"

    @api.model
    def _load_demo_bank(self):
        company = self.env.company
        journal = self.env.ref("rental_flow.demo_mandant_journal", raise_if_not_found=False)
        if not journal:
            return
        today = fields.Date.context_today(self)
        direct_debit = self._demo_direct_debits(company, today)
        self._demo_statement(journal, today, direct_debit)

    def _demo_direct_debits(self, company, today):
        """Three tenants pay by SEPA direct debit; today's collection run is generated."""
        company.rental_sdd_creditor_id = "FR" + at_02.calc_check_digits("FR00ZZZ583921") \
            + "ZZZ583921"
        leases = self.env["rental.lease"]
        for index, xmlid in enumerate(DIRECT_DEBIT_LEASES):
            lease = self.env.ref(f"rental_flow.{xmlid}", raise_if_not_found=False)
            if not lease or lease.state != "running":
                continue
            tenant = lease.tenant_id
            bank = self.env["res.partner.bank"].create({
                "partner_id": tenant.id,
                "acc_number": str(IBAN.generate("FR", bank_code="30004",
                                                branch_code="00817",
                                                account_code=f"{41000 + index:011d}")),
            })
            mandate = self.env["rental.sdd.mandate"].create({
                "partner_id": tenant.id,
                "company_id": company.id,
                "bank_id": bank.id,
                "signature_date": lease.date_start - timedelta(days=20),
            })
            self._xmlid(mandate, f"demo_sdd_mandate_{index + 1}")
            lease.payment_mode = "direct_debit"
            mandate.action_validate()
            leases |= lease
        if not leases:
            return leases
        run = self.env["rental.sdd.collection"].create(
            {"company_id": company.id, "collection_date": today + timedelta(days=1)}
        )
        self._xmlid(run, "demo_sdd_collection")
        run.action_compute()
        if run.debit_ids.filtered(lambda debit: debit.state == "draft"):
            run.action_generate()
        return leases

    def _demo_statement(self, journal, today, skip_leases):
        """Today's statement: the month's rents, as a bank would report them."""
        calls = self.env["account.move"].search(
            [("rental_lease_id", "!=", False), ("rental_lease_id", "not in", skip_leases.ids),
             ("state", "=", "posted"), ("move_type", "=", "out_invoice"),
             ("rental_call_kind", "=", "rent"), ("payment_state", "=", "not_paid"),
             ("rental_period_start", "=", today.replace(day=1))],
            order="rental_lease_id",
        )
        master = journal.bank_acc_number.replace(" ", "")
        parsed = []

        def line(number, amount, name, **values):
            parsed.append(ParsedLine(
                amount=Decimal(str(amount)).quantize(Decimal("0.01")), currency="EUR",
                booking_date=today, value_date=today, label=values.pop("label", "VIR SEPA"),
                counterparty_name=name, unique_import_id=f"{master}|demo|{today}|{number}",
                **values,
            ))

        for number, call in enumerate(calls, start=1):
            lease = call.rental_lease_id
            viban = lease.property_id.virtual_iban_id.name
            amount = call.amount_residual
            if number % 6 == 1 and lease.guarantor_ids:
                # a guarantor pays, to the agency's master account, without a reference
                line(number, amount, lease.guarantor_ids[0].name.upper(),
                     remittance_unstructured="LOYER")
            elif number % 6 == 2:
                # a partial payment by the tenant, name misspelt, no reference
                line(number, round(amount * 0.5, 2), lease.tenant_id.name.upper()[:-1],
                     remittance_unstructured="ACOMPTE LOYER")
            elif number % 6 == 3:
                # the structured reference of the rent call, to the master account
                line(number, amount, lease.tenant_id.name.upper(),
                     rf_reference=call.payment_reference,
                     structured_reference=call.payment_reference,
                     remittance_unstructured=call.payment_reference)
            elif viban:
                # the tenant pays to the flat's virtual IBAN
                line(number, amount, lease.tenant_id.name.upper(), credited_account=viban,
                     credited_account_source="CdtrAcct",
                     remittance_unstructured=f"LOYER {call.name}")
        # money that is not rent
        line("noise", 184.20, "MMA ASSURANCES", remittance_unstructured="REMBT SINISTRE 88213")
        Line = self.env["account.bank.statement.line"]
        lines = Line._rental_create_from_parsed(journal, parsed)
        lines._rental_after_import()
        return lines
