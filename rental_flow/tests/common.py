from datetime import date

from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class RentalTestCommon(AccountTestInvoicingCommon):
    """A company set up for rentals: mandant bank, IBAN pool, owner, building, units."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company._rental_ensure_setup()
        cls.bank_journal = cls.env["account.journal"].create(
            {
                "name": "Mandant account",
                "code": "TMND",
                "type": "bank",
                "bank_acc_number": "FR7617338000010000000010067",
            }
        )
        cls.company.rental_bank_journal_id = cls.bank_journal
        cls.pool = cls.env["rental.virtual.iban.pool"].create(
            {"name": "Test pool", "journal_id": cls.bank_journal.id, "freeze_days": 30}
        )
        cls.pool._add_range("17338", "00003", 1, 10)
        cls.owner = cls.env["res.partner"].create({"name": "Owner One"})
        cls.owner_bank = cls.env["res.partner.bank"].create(
            {"partner_id": cls.owner.id, "acc_number": "FR7630004008200000000100080"}
        )
        cls.mandate = cls.env["rental.mandate"].create(
            {"owner_id": cls.owner.id, "fee_rate": 7.0, "owner_bank_id": cls.owner_bank.id}
        )
        cls.building = cls.env["rental.property"].create(
            {"name": "Residence", "kind": "building", "street": "1 rue Test", "zip": "75011",
             "city": "Paris", "mandate_id": cls.mandate.id}
        )
        cls.unit = cls.env["rental.property"].create(
            {"name": "Flat 1", "parent_id": cls.building.id, "mandate_id": cls.mandate.id}
        )
        cls.unit2 = cls.env["rental.property"].create(
            {"name": "Flat 2", "parent_id": cls.building.id, "mandate_id": cls.mandate.id}
        )
        cls.tenant = cls.env["res.partner"].create({"name": "Tenant One"})
        cls.guarantor = cls.env["res.partner"].create({"name": "Guarantor One"})

    @classmethod
    def make_lease(cls, unit=None, start=date(2026, 1, 1), end=None, rent=900.0, charges=60.0,
                   start_it=True, **values):
        lease = cls.env["rental.lease"].create(
            {
                "property_id": (unit or cls.unit).id,
                "tenant_id": cls.tenant.id,
                "guarantor_ids": [Command.set(cls.guarantor.ids)],
                "date_start": start,
                "date_end": end,
                "rent": rent,
                "charges": charges,
                **values,
            }
        )
        if start_it:
            lease.action_start()
        return lease
