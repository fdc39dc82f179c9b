"""Shared fixtures of the owner split, payout, statement and funds check tests."""

from datetime import date

from odoo import Command

from .common import RentalTestCommon


class SplitTestCommon(RentalTestCommon):
    """A French agency (EUR), a mandate with a 7% fee on rent and charges, 20% VAT on it
    and 2% insurance."""

    @classmethod
    def _create_company(cls, **create_values):
        euro = cls.env.ref("base.EUR")
        euro.active = True
        create_values.setdefault("currency_id", euro.id)
        return super()._create_company(**create_values)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company._rental_ensure_setup()
        country = cls.company.country_id or cls.env.ref("base.fr")
        Tag = cls.env["account.account.tag"]
        cls.tag_base = Tag.create(
            {"name": "Fee base (test)", "applicability": "taxes", "country_id": country.id}
        )
        cls.tag_tax = Tag.create(
            {"name": "Fee VAT (test)", "applicability": "taxes", "country_id": country.id}
        )
        cls.vat_account = cls.env["account.account"].create(
            {"code": "445711", "name": "TVA collectée (test)", "account_type": "liability_current"}
        )

        def repartition(with_tags):
            return [
                Command.create(
                    {"repartition_type": "base",
                     "tag_ids": [Command.set(cls.tag_base.ids)] if with_tags else []}
                ),
                Command.create(
                    {"repartition_type": "tax", "account_id": cls.vat_account.id,
                     "tag_ids": [Command.set(cls.tag_tax.ids)] if with_tags else []}
                ),
            ]

        cls.fee_tax = cls.env["account.tax"].create(
            {
                "name": "VAT 20% fees (test)",
                "amount": 20.0,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "country_id": country.id,
                "invoice_repartition_line_ids": repartition(True),
                "refund_repartition_line_ids": repartition(False),
            }
        )
        cls.insurer = cls.env["res.partner"].create({"name": "GLI Insurer"})
        cls.mandate.write(
            {
                "fee_rate": 7.0,
                "fee_base": "rent_charges",
                "fee_tax_id": cls.fee_tax.id,
                "insurance_rate": 2.0,
                "insurer_id": cls.insurer.id,
                "state": "active",
            }
        )
        cls.owner.write(
            {"street": "12 bis rue des Lilas", "zip": "69003", "city": "Lyon",
             "country_id": cls.env.ref("base.fr").id}
        )
        cls.owner_bank.acc_holder_name = "Owner One"
        cls.company.partner_id.write(
            {"street": "5 avenue Foch", "zip": "75016", "city": "Paris",
             "country_id": cls.env.ref("base.fr").id}
        )
        cls.split_journal = cls.company.rental_split_journal_id
        cls.owner_account = cls.company.rental_owner_account_id
        cls.tenant_account = cls.company.rental_tenant_account_id

    # ------------------------------------------------------------------ helpers

    @classmethod
    def new_owner(cls, name, iban="FR7630006000011234567890189", **values):
        owner = cls.env["res.partner"].create(
            {"name": name, "city": "Lyon", "country_id": cls.env.ref("base.fr").id, **values}
        )
        bank = cls.env["res.partner.bank"].create(
            {"partner_id": owner.id, "acc_number": iban}
        ) if iban else cls.env["res.partner.bank"]
        return owner, bank

    @classmethod
    def new_mandate(cls, owner, bank, **values):
        return cls.env["rental.mandate"].create(
            {
                "owner_id": owner.id,
                "owner_bank_id": bank.id,
                "fee_rate": 7.0,
                "fee_base": "rent_charges",
                "fee_tax_id": cls.fee_tax.id,
                "state": "active",
                **values,
            }
        )

    @classmethod
    def new_unit(cls, name, mandate, **values):
        return cls.env["rental.property"].create(
            {"name": name, "parent_id": cls.building.id, "mandate_id": mandate.id, **values}
        )

    def issue(self, lease, until=date(2026, 1, 1)):
        """Issue the rent calls up to ``until``; return the tenant's rent calls by period."""
        lease._issue_rent_calls(until=until, invoice_date=date(2025, 12, 20))
        return self.calls(lease)

    def calls(self, lease, kind="rent"):
        return lease.rent_call_ids.filtered(
            lambda m: m.rental_call_kind == kind and m.move_type == "out_invoice"
        ).sorted("rental_period_start")

    def receivable(self, call):
        return call.line_ids.filtered(lambda line: line.account_id == self.tenant_account)

    def pay(self, calls, amount, day=date(2026, 1, 5)):
        """Register a payment on ``calls`` (the register payment wizard of Odoo)."""
        wizard = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=calls.ids
        ).create(
            {
                "amount": amount,
                "payment_date": day,
                "journal_id": self.bank_journal.id,
                "group_payment": True,
            }
        )
        return wizard._create_payments()

    def pay_by_bank_line(self, calls, amount, day=date(2026, 1, 5), **values):
        """A bank statement line reconciled with ``calls`` (what the matching engine does)."""
        line = self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank_journal.id,
                "date": day,
                "amount": amount,
                "payment_ref": "Loyer",
                "partner_id": calls.partner_id[:1].id,
                **values,
            }
        )
        __, suspense, __ = line._seek_for_lines()
        suspense.write(
            {"account_id": self.tenant_account.id, "partner_id": calls.partner_id[:1].id}
        )
        receivables = calls.line_ids.filtered(lambda line: line.account_id == self.tenant_account)
        (suspense | receivables).reconcile()
        return line

    def splits(self, calls):
        return self.env["rental.owner.split"].search(
            [("call_id", "in", calls.ids)], order="id"
        )

    def owner_balance(self, owner, prop):
        lines = self.env["account.move.line"].search(
            [
                ("account_id", "=", self.owner_account.id),
                ("parent_state", "=", "posted"),
                ("rental_property_id", "=", prop.id),
                ("partner_id", "=", owner.id),
            ]
        )
        return -sum(lines.mapped("balance"))

    def assertSplitEntryBalanced(self, split):
        """The split entry balances and its owner-side debits equal the parts taken."""
        move = split.move_id
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.journal_id, self.split_journal)
        self.assertAlmostEqual(sum(move.line_ids.mapped("balance")), 0.0, places=2)
        parts = (
            split.fee_amount + split.fee_tax_amount + split.insurance_amount
            + split.advance_amount + split.owners_amount
        )
        self.assertAlmostEqual(parts, split.amount, places=2)
        self.assertAlmostEqual(split.rent_amount + split.charges_amount, split.amount, places=2)
